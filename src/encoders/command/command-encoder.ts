/**
 * `--encoder command`: SentEval's prepare/batcher over a pipe, for an encoder in any language.
 * The child is started once per run and speaks JSON Lines protocol version 1 on stdin/stdout
 * (README "Command encoders"); its stderr passes through to the user, and its last lines are kept
 * for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../../util/errors.js';
import { onExitOrSignal } from '../../util/temp-files.js';
import { MAX_TIMEOUT_SECONDS } from '../request-timeout.js';
import type { Matrix } from '../../util/matrix.js';
import type { EncoderIdentity, SentenceEncoder, TaskContext } from '../types.js';
import { decodeVectors } from '../wire-vectors.js';

export const COMMAND_PROTOCOL = 1;
const STDERR_TAIL_LINES = 5;
/** A stderr line kept for messages is cut to its last this many characters (stderr may have no newlines). */
const STDERR_LINE_CHARS = 2000;
/**
 * A reply line longer than this (in characters) is refused before it is buffered further: no
 * unbounded growth, and well below V8's longest string (2^29 - 24), which joining it must not reach.
 * A batch of 128 sentences of a 16384-d encoder in JSON floats is about 50 M characters.
 */
export const MAX_LINE_CHARS = 1 << 28;
/** Default seconds to wait for any one reply (hello, prepared, vectors). */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 600;

export interface CommandEncoderOptions {
  readonly command: string;
  /** Seconds to wait for the child to exit after `close` before killing it (protocol: 10). */
  readonly closeTimeoutSeconds?: number;
  /** Seconds to wait for each reply before the encoder is stopped (default 600). */
  readonly requestTimeoutSeconds?: number;
  /** Where the child's stderr goes (default: this process's stderr). */
  readonly stderr?: (chunk: Buffer) => void;
}

type Reply = Record<string, unknown>;

export class CommandEncoder implements SentenceEncoder {
  identity!: EncoderIdentity;
  private child!: ChildProcess;
  /** The current stdout line's pieces so far (joined once, when its newline arrives). */
  private pending: string[] = [];
  private pendingChars = 0;
  private stderrTail: string[] = [''];
  private readonly stderrDecoder = new StringDecoder('utf8');
  private stderrLineOpen = false;
  /** Withdraws the exit/signal clean-up that kills the child's process group. */
  private withdrawCleanup: (() => void) | undefined;
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failing: Promise<UserError> | undefined;
  private stderrClosed!: Promise<void>;
  private exited: Promise<void> | undefined;
  private nextId = 0;
  private declaredName = '';
  private closing = false;

  private constructor(private readonly opts: CommandEncoderOptions) {}

  static async start(opts: CommandEncoderOptions): Promise<CommandEncoder> {
    const t = opts.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    if (!(t > 0 && t <= MAX_TIMEOUT_SECONDS)) throw new UserError(`--request-timeout ${t}: expected seconds > 0 and <= ${MAX_TIMEOUT_SECONDS}`);
    const c = opts.closeTimeoutSeconds ?? 10;
    if (!(c >= 0 && c <= MAX_TIMEOUT_SECONDS)) throw new UserError(`closeTimeoutSeconds ${c}: expected seconds >= 0 and <= ${MAX_TIMEOUT_SECONDS}`);
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
        // Our message starts on a line of its own, even after stderr that ended without a newline.
        if (this.stderrLineOpen) this.passStderr(Buffer.from('\n'));
        const tail = this.stderrTail.filter((l) => l.trim() !== '').slice(-STDERR_TAIL_LINES);
        return new UserError(`${this.label()}: ${what}${tail.length ? `; its stderr ended: ${tail.join(' | ')}` : ''}`);
      });
      const w = this.waiting;
      this.waiting = undefined;
      if (w) void this.failing.then((e) => w.reject(e));
    }
    return this.failing;
  }

  private passStderr(chunk: Buffer): void {
    (this.opts.stderr ?? ((c: Buffer) => process.stderr.write(c)))(chunk);
  }

  private async handshake(): Promise<void> {
    // Its own process group, so that the shell and whatever it starts are stopped together; a
    // Ctrl-C reaches only this process, whose signal handler then stops the group.
    this.child = spawn(this.opts.command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.withdrawCleanup = onExitOrSignal(() => this.killTree());
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
      this.passStderr(chunk);
      this.stderrLineOpen = chunk.length > 0 && chunk[chunk.length - 1] !== 0x0a;
      const parts = this.stderrDecoder.write(chunk).split('\n');
      const last = this.stderrTail.length - 1;
      this.stderrTail[last] = clip(this.stderrTail[last]! + clip(parts[0]!));
      for (const p of parts.slice(1)) this.stderrTail.push(clip(p));
      if (this.stderrTail.length > 4 * STDERR_TAIL_LINES) this.stderrTail = this.stderrTail.slice(-2 * STDERR_TAIL_LINES);
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));

    const hello = await this.request({ type: 'hello', protocol: COMMAND_PROTOCOL }, 'hello');
    if (hello.protocol !== COMMAND_PROTOCOL) throw await this.fail(`it speaks protocol ${JSON.stringify(hello.protocol)}, expected ${COMMAND_PROTOCOL}`);
    const { name, dim, fingerprint } = hello;
    if (typeof name !== 'string' || name === '') throw await this.fail('its hello has no "name" string');
    this.declaredName = name;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1 || dim > 1 << 20)
      throw await this.fail(`its hello has "dim" ${JSON.stringify(dim)}, expected a positive integer`);
    if (typeof fingerprint !== 'string')
      throw await this.fail('its hello has no "fingerprint" string (it keys the feature cache: change it when the model changes)');
    this.identity = { name, dim, weightsHash: `declared:${fingerprint}`, params: { encoder: 'command', fingerprint, protocol: COMMAND_PROTOCOL } };
  }

  /**
   * Lines are assembled from chunks without rescanning or recopying what came before: each chunk is
   * searched once for newlines, and a line's pieces are joined once.
   */
  private onStdout(chunk: string): void {
    let start = 0;
    while (!this.failing) {
      const nl = chunk.indexOf('\n', start);
      const end = nl < 0 ? chunk.length : nl;
      if (this.pendingChars + (end - start) > MAX_LINE_CHARS) {
        this.pending = [];
        void this.fail(`it wrote a line longer than ${MAX_LINE_CHARS} characters`);
        return;
      }
      if (nl < 0) {
        if (end > start) {
          this.pending.push(chunk.slice(start));
          this.pendingChars += end - start;
        }
        return;
      }
      let line = chunk.slice(start, nl);
      if (this.pending.length > 0) {
        this.pending.push(line);
        line = this.pending.join('');
        this.pending = [];
        this.pendingChars = 0;
      }
      start = nl + 1;
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
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

  private request(msg: Reply, expect: string): Promise<Reply> {
    if (this.failing) return this.failing.then((e) => Promise.reject(e));
    const seconds = this.opts.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    let timer: NodeJS.Timeout | undefined;
    const p = new Promise<Reply>((resolve, reject) => {
      this.waiting = { resolve, reject };
    }).finally(() => clearTimeout(timer));
    // A hung child must not hang the run: no reply in time stops it like any other failure.
    timer = setTimeout(() => void this.fail(`no reply to ${JSON.stringify(msg.type)} within ${seconds} s (--request-timeout)`), seconds * 1000);
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

  /**
   * The shell and whatever it started: the child runs in its own process group, which is killed
   * even after the shell itself exited (a background process it left would otherwise live on).
   */
  private killTree(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.stop();
    } finally {
      // Whatever the child left in its group goes with it; then nothing is left to clean up on exit.
      this.killTree();
      this.withdrawCleanup?.();
      this.withdrawCleanup = undefined;
    }
  }

  private async stop(): Promise<void> {
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

function clip(line: string): string {
  return line.length > STDERR_LINE_CHARS ? `…${line.slice(-STDERR_LINE_CHARS)}` : line;
}
