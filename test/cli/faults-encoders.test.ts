/**
 * Issue 25, items 4–10: encoders' inputs and processes under faults, through the real CLI (item 7
 * through the library API). Every fault is refused in one line or handled, no process is left
 * running, no number changes. Servers and children here are fakes this file controls; nothing
 * depends on timing (requests and processes are counted, not timed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { repoRoot } from '../helpers/data.js';
import { readNpy } from '../../src/formats/npy.js';
import * as lib from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-faults-enc-'));
test.after(async () => {
  await lib.closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});
const fixtures = join(repoRoot(), 'test', 'fixtures');

/** Exactly one line on stderr (the error), no stack trace, the expected exit code. */
function assertOneLine(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.status, code, `exit ${r.status}, expected ${code}; stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, 'no stack trace');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
}

// ---------------------------------------------------------------------------------------------
// 4: .npy headers as NumPy defines them

test('4: --vectors written by NumPy as format 2.0 and 3.0 give the same vectors as 1.0; trailing bytes and Fortran order are refused as such', () => {
  const npy = join(fixtures, 'npy');
  const expected = JSON.parse(readFileSync(join(npy, 'expected.json'), 'utf8')) as { values: number[] };
  const encode = (file: string, out: string) =>
    runCli(['encode', '--quiet', '--encoder', 'vectors', '--vectors', join(npy, file), '--sentences', join(npy, 'sentences.jsonl'), '--input', join(npy, 'sentences.txt'), '--out', out]);
  for (const v of ['v1', 'v2', 'v3']) {
    const out = join(tmp, `4-${v}.npy`);
    const r = encode(`${v}.npy`, out);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...readNpy(readFileSync(out)).data], expected.values, `${v}: NumPy's values`);
  }
  const out = join(tmp, '4-bad.npy');
  assertOneLine(encode('trailing.npy', out), 2, /--vectors .*trailing\.npy: 8 trailing bytes after the data of shape \(5, 4\)/);
  assertOneLine(encode('truncated.npy', out), 2, /--vectors .*truncated\.npy: truncated: 76 data bytes/);
  assertOneLine(encode('fortran.npy', out), 2, /--vectors .*fortran\.npy: unsupported \.npy in Fortran order/);
  assert.ok(!existsSync(out), 'nothing written');
});

// ---------------------------------------------------------------------------------------------
// 7: the library checks what a SentenceEncoder returns, as the command and vectors encoders do

test('7: library evaluate() refuses NaN vectors, short data and wrong rows/cols in one UserError naming the encoder and batch; nothing written', async () => {
  const dataDir = join(fixtures, 'tasks', 'data');
  const dim = 4;
  const good = (batch: readonly (readonly string[])[]) => Float32Array.from(batch.flatMap((t) => [t.length, t.join('').length, 1, 0]));
  const cases: [string, (batch: readonly (readonly string[])[]) => lib.Matrix, RegExp][] = [
    ['nan', (b) => ({ rows: b.length, cols: dim, data: good(b).map((x, i) => (i === 5 ? NaN : x)) }), /row 1 holds NaN at column 1 \(vectors must be finite\)/],
    ['half', (b) => ({ rows: b.length, cols: dim, data: good(b).subarray(0, (b.length * dim) / 2) }), /its "data" has \d+ values, \d+ rows x 4 need \d+/],
    ['rows', (b) => ({ rows: b.length + 1, cols: dim, data: good(b) }), /returned \d+x4 for a batch of \d+ \(dim 4\)/],
    ['cols', (b) => ({ rows: b.length, cols: 3, data: good(b) }), /returned \d+x3 for a batch of \d+ \(dim 4\)/],
    ['array', (b) => ({ rows: b.length, cols: dim, data: Array.from(good(b)) as unknown as Float32Array }), /its "data" is Array, expected a Float32Array/],
  ];
  for (const [name, encode, message] of cases) {
    const encoder: lib.SentenceEncoder = {
      identity: { name: `bad-${name}`, dim, weightsHash: 'none', params: {} },
      batchIndependent: true,
      prepare: async () => '',
      encode: async (batch) => encode(batch),
      notes: () => [],
      close: async () => {},
    };
    const out = join(tmp, `7-${name}.json`);
    await assert.rejects(
      lib.evaluate(encoder, { tasks: [lib.resolveTask('SNLI')], dataDir, settings: lib.resolveSettings('fast'), seeds: [1111], outPath: out, progress: lib.silentProgress }),
      (e: unknown) => {
        assert.ok(e instanceof lib.UserError, `a UserError, got ${String(e)}`);
        assert.match(e.message, new RegExp(`^encoder 'bad-${name}', batch 0 \\(\\d+ sentences, starting ".*"\\): ${message.source}`));
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
    assert.ok(!existsSync(out), `${name}: no results written`);
  }
});

// ---------------------------------------------------------------------------------------------
// 8: --encoder command: the child's process group goes on every exit path; time-outs; bounded buffers

const snliData = join(fixtures, 'tasks', 'data');

/**
 * A command encoder this file controls. It starts a grandchild (a node process that would run
 * forever), writes both pids to `pidFile` when the first encode arrives, and then behaves as `mode`
 * says: 'hang' never answers; 'stderr' writes `stderrBytes` of stderr without a newline and exits 3;
 * 'ok' answers every request (replies are single lines written in small pieces, CRLF-terminated).
 */
function childScript(): string {
  const p = join(tmp, 'child-encoder.mjs');
  writeFileSync(
    p,
    `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const [mode, pidFile, stderrBytes] = process.argv.slice(2);
const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
const dim = 4;
const send = (o) => {
  const s = JSON.stringify(o) + '\\r\\n';
  for (let i = 0; i < s.length; i += 7) process.stdout.write(s.slice(i, i + 7));
};
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.type === 'hello') return send({ type: 'hello', protocol: 1, name: 'child-' + mode, dim, fingerprint: mode });
  if (m.type === 'prepare') return send({ type: 'prepared', key: '' });
  if (m.type === 'close') { grandchild.kill(); process.exit(0); }
  if (m.type !== 'encode') return;
  writeFileSync(pidFile, JSON.stringify({ child: process.pid, grandchild: grandchild.pid }));
  if (mode === 'hang') return;
  if (mode === 'stderr') {
    process.stderr.write('x'.repeat(Number(stderrBytes)), () => process.exit(3));
    return;
  }
  send({ type: 'vectors', id: m.id, vectors: m.batch.map((t) => [t.length, t.join(' ').length, 1, 0.5]) });
});
`,
  );
  return p;
}

/** Running, not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Waits for a condition the test itself brings about (a file written, a process gone); fails after a bound. */
async function until(what: string, ok: () => boolean, boundMs = 60_000): Promise<void> {
  for (let waited = 0; !ok(); waited += 50) {
    if (waited > boundMs) assert.fail(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function commandArgs(mode: string, pidFile: string, out: string, extra: string[] = []): string[] {
  return [
    'evaluate', '--no-progress', '--no-cache', '--data-dir', snliData, '--tasks', 'SNLI', '--config', 'fast', '--out', out,
    '--encoder', 'command', '--command', `'${process.execPath}' '${childScript()}' ${mode} '${pidFile}' ${extra.join(' ')}`,
  ];
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`8: ${signal} while the command encoder is busy stops its whole process group and releases <out>.lock`, async () => {
    const pidFile = join(tmp, `8-${signal}.pids`);
    const out = join(tmp, `8-${signal}.json`);
    const { child, done } = spawnCli(commandArgs('hang', pidFile, out));
    await until('the encoder to receive its first batch', () => existsSync(pidFile));
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    assert.ok(running(pids.child) && running(pids.grandchild));
    assert.ok(existsSync(`${out}.lock`), 'the run holds its lock');
    child.kill(signal);
    const r = await done;
    assert.equal(r.status, signal === 'SIGINT' ? 130 : 143, r.stderr);
    assert.match(r.stderr, new RegExp(`interrupted \\(${signal}\\)`));
    await until('the child and grandchild to be gone', () => !running(pids.child) && !running(pids.grandchild), 10_000);
    assert.ok(!existsSync(`${out}.lock`), 'lock released');
    assert.ok(!existsSync(out), 'no results written');
  });
}

test('8: a child that never answers is stopped after --request-timeout, in one line; its process group is gone, the lock released', async () => {
  const pidFile = join(tmp, '8-timeout.pids');
  const out = join(tmp, '8-timeout.json');
  const r = await runCliAsync([...commandArgs('hang', pidFile, out), '--request-timeout', '0.5']);
  assertOneLine(r, 2, /command encoder 'child-hang' .*: no reply to "encode" within 0\.5 s \(--request-timeout\)/);
  const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
  await until('the child and grandchild to be gone', () => !running(pids.child) && !running(pids.grandchild), 10_000);
  assert.ok(!existsSync(`${out}.lock`) && !existsSync(out));
});

test('8: 8 MB of stderr without a newline: one bounded line, no RangeError; a reply sent in 7-byte pieces with CRLF is read whole', async () => {
  const pidFile = join(tmp, '8-stderr.pids');
  const out = join(tmp, '8-stderr.json');
  const r = await runCliAsync(commandArgs('stderr', pidFile, out, [String(8 << 20)]));
  assert.equal(r.status, 2);
  // The child's 8 MB pass through; our message is one line of its own after them, its tail bounded.
  const lines = r.stderr.split('\n');
  assert.equal(lines[0]!.length, 8 << 20);
  const ours = lines.slice(1).join('\n').trimEnd();
  assert.ok(ours.length < 3000, `a bounded message, got ${ours.length} characters`);
  assert.match(ours, /^gensen-eval: command encoder 'child-stderr' .*: the encoder exited \(exit code 3\) before the run ended; its stderr ended: …x{2000}$/);
  assert.doesNotMatch(ours, /RangeError|internal error|\n/);
  const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
  await until('the grandchild to be gone', () => !running(pids.grandchild), 10_000);

  const okOut = join(tmp, '8-ok.json');
  const ok = await runCliAsync(commandArgs('ok', join(tmp, '8-ok.pids'), okOut));
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(existsSync(okOut) && !existsSync(`${okOut}.lock`));
});
