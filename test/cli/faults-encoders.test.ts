/**
 * Issue 25, items 4–10: encoders' inputs and processes under faults, through the real CLI (item 7
 * through the library API). Every fault is refused in one line or handled, no process is left
 * running, no number changes. Servers and children here are fakes this file controls; nothing
 * depends on timing (requests and processes are counted, not timed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { runCli, spawnCli, assertOneLine, type CliResult } from '../helpers/cli.js';
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

// ---------------------------------------------------------------------------------------------
// 4: .npy headers as NumPy defines them

test('4: --vectors written by NumPy as format 2.0 and 3.0 give the same vectors as 1.0; trailing bytes and Fortran order are refused as such', () => {
  const npy = join(fixtures, 'npy');
  const expected = JSON.parse(readFileSync(join(npy, 'expected.json'), 'utf8')) as { values: number[] };
  const encode = (file: string, out: string) =>
    runCli([
      'encode',
      '--quiet',
      '--encoder',
      'vectors',
      '--vectors',
      join(npy, file),
      '--sentences',
      join(npy, 'sentences.jsonl'),
      '--input',
      join(npy, 'sentences.txt'),
      '--out',
      out,
    ]);
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
      lib.evaluate(encoder, {
        tasks: [lib.resolveTask('SNLI')],
        dataDir,
        settings: lib.resolveSettings('fast'),
        seeds: [1111],
        outPath: out,
        progress: lib.silentProgress,
      }),
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
async function until(what: string, ok: () => boolean, boundMs = 600_000): Promise<void> {
  for (let waited = 0; !ok(); waited += 50) {
    if (waited > boundMs) assert.fail(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `evaluate` on the SNLI fixture through `--encoder command` running `command`. */
function evaluateWithCommand(command: string, out: string, extra: string[] = []): string[] {
  return [
    'evaluate',
    '--no-progress',
    '--no-cache',
    '--data-dir',
    snliData,
    '--tasks',
    'SNLI',
    '--config',
    'fast',
    '--out',
    out,
    '--encoder',
    'command',
    '--command',
    command,
    ...extra,
  ];
}

/** The fixture child script in `mode`, recording its pids in `pidFile`. */
function commandArgs(mode: string, pidFile: string, out: string, extra: string[] = []): string[] {
  return evaluateWithCommand(`'${process.execPath}' '${childScript()}' ${mode} '${pidFile}' ${extra.join(' ')}`, out);
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
    await until('the child and grandchild to be gone', () => !running(pids.child) && !running(pids.grandchild), 120_000);
    assert.ok(!existsSync(`${out}.lock`), 'lock released');
    assert.ok(!existsSync(out), 'no results written');
  });
}

test('8: a child that never answers is stopped after --request-timeout, in one line; its process group is gone, the lock released', async () => {
  // The shell records its pid (the encoder, once it execs node) and a background sleep's (in the
  // same process group) before node starts, so the pids are known whichever request times out on
  // a loaded machine (normally the first encode, which this child never answers).
  const pids = join(tmp, '8-timeout.sh-pids');
  const out = join(tmp, '8-timeout.json');
  const command = `sleep 1000 & echo $$ $! > '${pids}'; exec '${process.execPath}' '${childScript()}' hang '${join(tmp, '8-timeout.pids')}'`;
  const r = await runCliAsync(evaluateWithCommand(command, out, ['--request-timeout', '2']));
  assertOneLine(r, 2, /command encoder .*: no reply to "(hello|prepare|encode)" within 2 s \(--request-timeout\)/);
  const [child, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
  await until('the encoder and the background sleep to be gone', () => !running(child) && !running(sleeper), 120_000);
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
  await until('the grandchild to be gone', () => !running(pids.grandchild), 120_000);

  const okOut = join(tmp, '8-ok.json');
  const ok = await runCliAsync(commandArgs('ok', join(tmp, '8-ok.pids'), okOut));
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(existsSync(okOut) && !existsSync(`${okOut}.lock`));
});

// ---------------------------------------------------------------------------------------------
// 5, 9: --encoder http against a fake server this file controls

/** What the fake server does with its n-th request (1-based); undefined: answer normally. */
type Fault = (n: number, res: ServerResponse, answer: string) => boolean;

interface FakeServer {
  readonly url: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible embeddings server whose vectors are a fixed function of the text and of
 * `seed` (two seeds: two different models that answer to the same name).
 */
async function fakeServer(seed: number, fault?: Fault): Promise<FakeServer> {
  const open = new Set<ServerResponse>();
  const s: FakeServer & { server?: Server } = {
    url: '',
    requests: 0,
    close: () => {
      for (const r of open) r.destroy();
      return new Promise((resolve) => s.server!.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const n = ++s.requests;
      const input = (JSON.parse(body) as { input: string[] }).input;
      const data = input.map((text, index) => ({ index, embedding: [text.length, seed, ((text.charCodeAt(0) || 0) % 7) + seed / 10, 1] }));
      const answer = JSON.stringify({ object: 'list', data });
      open.add(res);
      res.on('close', () => open.delete(res));
      if (fault?.(n, res, answer)) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  });
  s.server = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (s as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return s;
}

function httpEncode(server: FakeServer, out: string, extra: string[] = []): Promise<CliResult> {
  const npy = join(fixtures, 'npy');
  return runCliAsync([
    'encode',
    '--quiet',
    '--encoder',
    'http',
    '--url',
    server.url,
    '--model',
    'same-name',
    '--input',
    join(npy, 'sentences.txt'),
    '--out',
    out,
    ...extra,
  ]);
}

test('9: an answer that inflates (gzip) past what the request can take is refused in one line, not read whole, not retried', async () => {
  // 64 MB of JSON-looking text compressed to ~64 KB; the bound for the start-up probe is ~14 MB.
  const bomb = gzipSync(Buffer.concat([Buffer.from('{"data":[{"index":0,"embedding":['), Buffer.alloc(64 << 20, '0,')]));
  const server = await fakeServer(1, (_n, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb);
    return true;
  });
  try {
    const out = join(tmp, '9-bomb.npy');
    assertOneLine(
      await httpEncode(server, out),
      2,
      /http encoder \(.*, model same-name\): the answer is larger than \d+ bytes, more than embeddings of this request can take/,
    );
    assert.equal(server.requests, 1, 'not retried');
    assert.ok(!existsSync(out));
  } finally {
    await server.close();
  }
});

test('9: a body cut mid-stream and a body slower than --request-timeout are retried (warnings shown under --no-progress), and the run completes', async () => {
  // Request 2 (the first encode) is cut after 10 bytes of a declared 1000; request 3 sends 10 bytes
  // and then nothing (until the client gives up); request 4 answers. The probe (request 1) answers.
  const server = await fakeServer(1, (n, res, answer) => {
    if (n === 2) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
      res.write(answer.slice(0, 10), () => res.destroy());
      return true;
    }
    if (n === 3) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(answer.slice(0, 10));
      return true;
    }
    return false;
  });
  try {
    const out = join(tmp, '9-cut.json');
    const r = await runCliAsync([
      'evaluate',
      '--no-progress',
      '--no-cache',
      '--data-dir',
      snliData,
      '--tasks',
      'SNLI',
      '--config',
      'fast',
      '--out',
      out,
      '--encoder',
      'http',
      '--url',
      server.url,
      '--model',
      'same-name',
      '--request-batch-size',
      '1000',
      '--concurrency',
      '1',
      '--request-timeout',
      '5',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const warned = r.stderr.split('\n').filter((l) => l.startsWith('gensen-eval: warning: http encoder:'));
    assert.equal(warned.length, 2, r.stderr);
    assert.match(warned[0]!, /the answer was cut off \(.*\); retry 1 of 5$/);
    assert.match(warned[1]!, /no complete answer within 5 s; retry 2 of 5$/);
    assert.ok(server.requests >= 4);
    assert.ok(existsSync(out));
  } finally {
    await server.close();
  }
});

test('9: --request-timeout beyond what a timer holds (3000000 s) is refused, not turned into 1 ms; a large valid one waits', async () => {
  const server = await fakeServer(1);
  try {
    const out = join(tmp, '9-timeout.npy');
    assertOneLine(
      await httpEncode(server, out, ['--request-timeout', '3000000']),
      2,
      /--request-timeout must be a number from 0\.001 to 2147483, got '3000000'/,
    );
    assert.equal(server.requests, 0);
    // The largest valid value: every request is answered on its first attempt (none timed out at 1 ms).
    const r = await httpEncode(server, out, ['--request-timeout', '2147483']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(server.requests, 2, 'the probe and one encode request, no retry');
  } finally {
    await server.close();
  }
});

test('5: the http identity is a hash of what the server answers for fixed probe sentences: same name, different vectors, different cache entries', async () => {
  const a = await fakeServer(1);
  const b = await fakeServer(2);
  const cache = join(tmp, '5-cache');
  const run = (s: FakeServer, out: string) =>
    runCliAsync(
      [
        'evaluate',
        '--no-progress',
        '--data-dir',
        snliData,
        '--tasks',
        'SNLI',
        '--config',
        'fast',
        '--out',
        out,
        '--encoder',
        'http',
        '--url',
        s.url,
        '--model',
        'same-name',
      ],
      {
        GENSEN_EVAL_CACHE: cache,
      },
    );
  type Res = { encoder: { weightsHash: string }; tasks: Record<string, { metrics: Record<string, number> }> };
  const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Res;
  try {
    const r1 = await run(a, join(tmp, '5-a1.json'));
    assert.equal(r1.status, 0, r1.stderr);
    const before = a.requests;
    const r2 = await run(a, join(tmp, '5-a2.json'));
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(a.requests - before, 1, 'same server: only the start-up probe, the rest from the cache');
    assert.equal(read(join(tmp, '5-a1.json')).encoder.weightsHash, read(join(tmp, '5-a2.json')).encoder.weightsHash);
    const r3 = await run(b, join(tmp, '5-b.json'));
    assert.equal(r3.status, 0, r3.stderr);
    assert.ok(b.requests > 1, "another server under the same name: encoded again, not read from the first one's cache");
    assert.notEqual(read(join(tmp, '5-b.json')).encoder.weightsHash, read(join(tmp, '5-a1.json')).encoder.weightsHash);
    assert.match(read(join(tmp, '5-b.json')).encoder.weightsHash, /^probe:[0-9a-f]{64}$/);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

// ---------------------------------------------------------------------------------------------
// 6: a different seed list is a different run

test("6: --resume with another seed list than the file's (single-seed file, multi-seed run) is refused; multi-seed runs get their own default name", () => {
  const base = ['evaluate', '--no-progress', '--no-cache', '--data-dir', snliData, '--tasks', 'SNLI', '--config', 'fast'];
  const out = join(tmp, '6-single.json');
  const first = runCli([...base, '--out', out]);
  assert.equal(first.status, 0, first.stderr);
  const before = readFileSync(out, 'utf8');
  assertOneLine(
    runCli([...base, '--out', out, '--resume', '--seeds', '1111,1112']),
    2,
    /cannot resume .*6-single\.json: the seed list differs \(1111 there, 1111,1112 now: another seed list is another run\); choose another --out or drop --resume/,
  );
  assert.equal(readFileSync(out, 'utf8'), before, 'the file is untouched');
  // And the other way round: a multi-seed file is not continued by a single-seed run.
  const multi = join(tmp, '6-multi.json');
  assert.equal(runCli([...base, '--out', multi, '--seeds', '1111,1112']).status, 0);
  assertOneLine(runCli([...base, '--out', multi, '--resume', '--seed', '1111']), 2, /the seed list differs \(1111,1112 there, 1111 now/);
  assert.equal(runCli([...base, '--out', multi, '--resume', '--seeds', '1111,1112']).status, 0, 'the same list resumes');

  // Default names: in a folder of its own (the default is relative to the working directory).
  const cwd = join(tmp, '6-cwd');
  mkdirSync(cwd);
  for (const seeds of [
    ['--seed', '1111'],
    ['--seeds', '1111,1112,1113'],
  ]) {
    const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'src', 'cli.js'), ...base, ...seeds], { cwd, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  assert.deepEqual(readdirSync(join(cwd, 'results')).sort(), ['bow-fast-s1111-1112-1113.json', 'bow-fast-s1111.json']);
});

// ---------------------------------------------------------------------------------------------
// 10: a GenSen checkpoint's storage is the size its tensors use

test('10: a storage (or its zip member) of 64 MiB behind a 60 x 8 embedding is refused before it is inflated; tiny1 itself loads', () => {
  const input = join(fixtures, 'npy', 'sentences.txt');
  const encodeWith = (model: string, name: string) => {
    const m = join(tmp, `10-${name}`);
    mkdirSync(m, { recursive: true });
    copyFileSync(model, join(m, 'm.model'));
    copyFileSync(join(fixtures, 'gensen', 'tiny1_vocab.pkl'), join(m, 'm_vocab.pkl'));
    const out = join(tmp, `10-${name}.npy`);
    return { out, r: runCli(['encode', '--quiet', '--models-dir', m, '--prefix1', 'm', '--input', input, '--out', out]) };
  };
  const storage = encodeWith(join(fixtures, 'faults', 'oversized-storage.zip.model'), 'storage');
  assertOneLine(
    storage.r,
    2,
    /m\.model: corrupt checkpoint: storage '\d+' declares 16777216 elements but its tensors use 480; a storage must be the size its tensors need/,
  );
  const member = encodeWith(join(fixtures, 'faults', 'oversized-member.zip.model'), 'member');
  assertOneLine(member.r, 2, /m\.model: corrupt checkpoint: archive\/data\/\d+ has 67108864 bytes, its storage '\d+' is 1920/);
  assert.ok(!existsSync(storage.out) && !existsSync(member.out));
  const ok = encodeWith(join(fixtures, 'gensen', 'tiny1.zip.model'), 'ok');
  assert.equal(ok.r.status, 0, ok.r.stderr);
});
