/**
 * `--encoder command`: SentEval's prepare/batcher over a pipe, for an encoder in any language.
 * The child is started once per run and speaks JSON Lines protocol version 1 on stdin/stdout
 * (README "Command encoders"); its stderr passes through to the user, and its last lines are kept
 * for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { UserError } from '../../util/errors.js';
import type { Matrix } from '../../util/matrix.js';
import type { EncoderIdentity, SentenceEncoder, TaskContext } from '../types.js';
import { decodeVectors } from '../wire-vectors.js';

export const COMMAND_PROTOCOL = 1;
const STDERR_TAIL_LINES = 5;
/** A reply line longer than this is refused before it is buffered further (no unbounded growth). */
const MAX_LINE_BYTES = 1 << 30;

export interface CommandEncoderOptions {
  readonly command: string;
  /** Seconds to wait for the child to exit after `close` before killing it (protocol: 10). */
  readonly closeTimeoutSeconds?: number;
  /** Where the child's stderr goes (default: this process's stderr). */
  readonly stderr?: (chunk: Buffer) => void;
}

type Reply = Record<string, unknown>;

export class CommandEncoder implements SentenceEncoder {
  identity!: EncoderIdentity;
  private child!: ChildProcess;
  private buffered = '';
  private stderrTail: string[] = [''];
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failing: Promise<UserError> | undefined;
  private stderrClosed!: Promise<void>;
  private exited: Promise<void> | undefined;
  private nextId = 0;
  private declaredName = '';
  private closing = false;

  private constructor(private readonly opts: CommandEncoderOptions) {}

  static async start(opts: CommandEncoderOptions): Promise<CommandEncoder> {
    const enc = new CommandEncoder(opts);
    await enc.handshake();
    return enc;
  }

  private label(): string {
    return `command encoder${this.declaredName ? ` '${this.declaredName}'` : ''} (${this.opts.command})`;
  }

  /**
   * Stops the encoder and resolves to one line: what went wrong, and the child's last stderr lines.
   * stderr and stdout are separate pipes, so what the child printed to stderr just before failing
   * may arrive after; the message waits (up to a second) for stderr to close once the child is gone.
   */
  private fail(what: string): Promise<UserError> {
    if (!this.failing) {
      this.killTree();
      this.failing = Promise.race([this.stderrClosed, new Promise((r) => setTimeout(r, 1000).unref())]).then(() => {
        const tail = this.stderrTail.filter((l) => l.trim() !== '').slice(-STDERR_TAIL_LINES);
        return new UserError(`${this.label()}: ${what}${tail.length ? `; its stderr ended: ${tail.join(' | ')}` : ''}`);
      });
      const w = this.waiting;
      this.waiting = undefined;
      if (w) void this.failing.then((e) => w.reject(e));
    }
    return this.failing;
  }

  private async handshake(): Promise<void> {
    this.child = spawn(this.opts.command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        if (!this.closing) void this.fail(`the encoder exited (${signal ? `signal ${signal}` : `exit code ${code}`}) before the run ended`);
        resolve();
      });
    });
    this.child.on('error', (e) => void this.fail(`cannot start it: ${e.message}`));
    this.child.stdin!.on('error', () => undefined); // a closed pipe shows up as the child's exit
    this.stderrClosed = new Promise((resolve) => this.child.stderr!.on('close', () => resolve()));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      (this.opts.stderr ?? ((c: Buffer) => process.stderr.write(c)))(chunk);
      const parts = chunk.toString('utf8').split('\n');
      this.stderrTail[this.stderrTail.length - 1] += parts[0]!;
      this.stderrTail.push(...parts.slice(1));
      if (this.stderrTail.length > 4 * STDERR_TAIL_LINES) this.stderrTail = this.stderrTail.slice(-2 * STDERR_TAIL_LINES);
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));

    const hello = await this.request({ type: 'hello', protocol: COMMAND_PROTOCOL }, 'hello');
    if (hello.protocol !== COMMAND_PROTOCOL) throw await this.fail(`it speaks protocol ${JSON.stringify(hello.protocol)}, expected ${COMMAND_PROTOCOL}`);
    const { name, dim, fingerprint } = hello;
    if (typeof name !== 'string' || name === '') throw await this.fail('its hello has no "name" string');
    this.declaredName = name;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1 || dim > 1 << 20) throw await this.fail(`its hello has "dim" ${JSON.stringify(dim)}, expected a positive integer`);
    if (typeof fingerprint !== 'string') throw await this.fail('its hello has no "fingerprint" string (it keys the feature cache: change it when the model changes)');
    this.identity = { name, dim, weightsHash: `declared:${fingerprint}`, params: { encoder: 'command', fingerprint, protocol: COMMAND_PROTOCOL } };
  }

  private onStdout(chunk: string): void {
    if (this.failing) return;
    this.buffered += chunk;
    if (this.buffered.length > MAX_LINE_BYTES) {
      void this.fail(`it wrote a line longer than ${MAX_LINE_BYTES} characters`);
      return;
    }
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).replace(/\r$/, '');
      this.buffered = this.buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        void this.fail(`it printed a line that is not JSON on stdout (print logs to stderr): ${JSON.stringify(line.slice(0, 120))}`);
        return;
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        void this.fail(`it printed ${JSON.stringify(line.slice(0, 120))}, expected a JSON object`);
        return;
      }
      const reply = msg as Reply;
      if (reply.type === 'error') {
        void this.fail(`it reported an error: ${typeof reply.message === 'string' ? reply.message : JSON.stringify(reply.message)}`);
        return;
      }
      if (!this.waiting) {
        void this.fail(`it sent ${JSON.stringify(line.slice(0, 120))} when no reply was expected`);
        return;
      }
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(reply);
    }
  }

  private request(msg: Reply, expect: string): Promise<Reply> {
    if (this.failing) return this.failing.then((e) => Promise.reject(e));
    const p = new Promise<Reply>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
    this.child.stdin!.write(`${JSON.stringify(msg)}\n`);
    return p.then(async (r) => {
      if (r.type !== expect) throw await this.fail(`it answered ${JSON.stringify(r.type)} to ${JSON.stringify(msg.type)}, expected "${expect}"`);
      return r;
    });
  }

  async prepare(task: TaskContext): Promise<string> {
    const r = await this.request({ type: 'prepare', task: task.taskId, samples: task.samples }, 'prepared');
    if (typeof r.key !== 'string') throw await this.fail(`its "prepared" reply for ${task.taskId} has no "key" string ("" when nothing depends on the task)`);
    return r.key;
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    const id = this.nextId++;
    const r = await this.request({ type: 'encode', id, batch }, 'vectors');
    if (r.id !== id) throw await this.fail(`it answered encode ${id} with id ${JSON.stringify(r.id)}`);
    const m = decodeVectors(r, batch.length, this.identity.dim);
    if (typeof m === 'string') throw await this.fail(`encode ${id}: ${m}`);
    return m;
  }

  notes(): string[] {
    return [`command encoder '${this.identity.name}' (fingerprint ${JSON.stringify(String(this.identity.params.fingerprint))}): ${this.opts.command}`];
  }

  /** The shell and whatever it started: the child runs in its own process group. */
  private killTree(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (!this.failing) this.child.stdin!.write(`${JSON.stringify({ type: 'close' })}\n`);
    this.child.stdin!.end();
    const ms = (this.opts.closeTimeoutSeconds ?? 10) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    });
    const late = await Promise.race([this.exited!.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.killTree();
      await this.exited;
    }
  }
}
