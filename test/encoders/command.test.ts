import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandEncoder } from '../../src/encoders/command/command-encoder.js';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { closeProbePool } from '../../src/protocol/index.js';
import type { RunResults } from '../../src/results/schema.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { UserError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, senteval } from '../helpers/data.js';
import { CONTRACT_BATCH, encoderContract } from '../helpers/encoder-contract.js';
import { writeTaskWordVectors } from '../helpers/word-vectors-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-command-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});
const example = join(repoRoot(), 'examples', 'encoders', 'bow.mjs');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const node = q(process.execPath);

// A small vectors file for the contract and failure tests (the contract batch's words).
const smallVectors = join(tmp, 'small.txt');
{
  const { loadEmbeddedVectors } = await import('../../src/vectors/embedded.js');
  const wv = loadEmbeddedVectors();
  const words = [...new Set(CONTRACT_BATCH.flat().map((w) => w.toLowerCase()))].filter((w) => wv.index.has(w));
  writeFileSync(
    smallVectors,
    words.map((w) => `${w} ${Array.from(wv.vectors.subarray(wv.index.get(w)! * 100, wv.index.get(w)! * 100 + 100), String).join(' ')}`).join('\n'),
  );
}

encoderContract('command (examples/encoders/bow.mjs, base64 float32)', {
  make: { encoder: 'command', command: `${node} ${q(example)} ${q(smallVectors)}` },
  bad: [
    { options: { encoder: 'command' }, message: /--encoder command needs --command/ },
    { options: { encoder: 'command', command: `${node} -e "process.exit(3)"` }, message: /command encoder .*exited \(exit code 3\)/ },
  ],
});
encoderContract('command (examples/encoders/bow.mjs, JSON vectors)', {
  make: { encoder: 'command', command: `${node} ${q(example)} ${q(smallVectors)} --json` },
});

test('command encoder: the JSON answer and the base64 answer are the same vectors, equal to --encoder bow', async () => {
  const f32 = await createEncoder({ encoder: 'command', command: `${node} ${q(example)} ${q(smallVectors)}` });
  const json = await createEncoder({ encoder: 'command', command: `${node} ${q(example)} ${q(smallVectors)} --json` });
  const bow = await createEncoder({ encoder: 'bow' });
  try {
    assert.equal(f32.identity.name, 'bow-mjs');
    assert.equal(f32.identity.dim, 100);
    assert.match(f32.identity.weightsHash, /^declared:[0-9a-f]{64}$/);
    const a = await f32.encode(CONTRACT_BATCH);
    assert.deepEqual(await json.encode(CONTRACT_BATCH), a);
    assert.deepEqual(await bow.encode(CONTRACT_BATCH), a);
  } finally {
    await f32.close();
    await json.close();
  }
});

/** A scripted misbehaving encoder: `script` is Node code run on each request `m` (with `send`). */
function fake(name: string, script: string): string {
  const file = join(tmp, `${name}.mjs`);
  writeFileSync(
    file,
    `import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let n = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const m = JSON.parse(line);
  if (m.type === 'hello') { send({ type: 'hello', protocol: 1, name: '${name}', dim: 3, fingerprint: 'f1' }); continue; }
  if (m.type === 'prepare') { send({ type: 'prepared', key: '' }); continue; }
  if (m.type === 'close') break;
  n++;
  ${script}
}
`,
  );
  return `${node} ${q(file)}`;
}

const ok = `send({ type: 'vectors', id: m.id, vectors: m.batch.map(() => [1, 2, 3]) });`;
const failures: [string, string, RegExp][] = [
  [
    'reports-error',
    `console.error('loading weights'); console.error('CUDA out of memory'); send({ type: 'error', message: 'model exploded' });`,
    /'reports-error'.*reported an error: model exploded; its stderr ended: loading weights \| CUDA out of memory/,
  ],
  ['not-json', `console.log('Loading model...');`, /'not-json'.*not JSON on stdout.*"Loading model\.\.\."/],
  ['wrong-rows', `send({ type: 'vectors', id: m.id, vectors: [[1, 2, 3]] });`, /'wrong-rows'.*encode 0: 1 rows for a batch of 5/],
  [
    'wrong-dim',
    `send({ type: 'vectors', id: m.id, f32: Buffer.from(new Float32Array(m.batch.length * 4).buffer).toString('base64') });`,
    /'wrong-dim'.*encode 0: 20 floats, not 5 rows x 3/,
  ],
  [
    'dies',
    `console.error('Segmentation fault (core dumped)'); process.exit(139);`,
    /'dies'.*exited \(exit code 139\) before the run ended; its stderr ended: Segmentation fault/,
  ],
  ['wrong-id', `send({ type: 'vectors', id: 7, vectors: m.batch.map(() => [1, 2, 3]) });`, /'wrong-id'.*answered encode 0 with id 7/],
  [
    'nan',
    `send({ type: 'vectors', id: m.id, f32: Buffer.from(new Float32Array([NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).buffer).toString('base64') });`,
    /'nan'.*row 0 holds NaN/,
  ],
];

for (const [name, script, message] of failures) {
  test(`command encoder failure '${name}': one line naming the encoder`, async () => {
    const enc = await createEncoder({ encoder: 'command', command: fake(name, script) });
    try {
      await enc.prepare({ taskId: 'T', samples: [] });
      await assert.rejects(enc.encode(CONTRACT_BATCH), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.match(e.message, message);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
      // Nothing more is sent to a failed encoder.
      await assert.rejects(enc.encode(CONTRACT_BATCH), message);
    } finally {
      await enc.close();
    }
  });
}

test('command encoder: bad hellos are refused with one line', async () => {
  const cases: [string, RegExp][] = [
    [`{"type":"hello","protocol":2,"name":"x","dim":3,"fingerprint":""}`, /speaks protocol 2, expected 1/],
    [`{"type":"hello","protocol":1,"name":"x","dim":0,"fingerprint":""}`, /"dim" 0, expected a positive integer/],
    [`{"type":"hello","protocol":1,"name":"x","dim":3}`, /no "fingerprint" string/],
    [`{"type":"ready"}`, /answered "ready" to "hello"/],
  ];
  for (const [hello, message] of cases) {
    const file = join(tmp, 'hello.mjs');
    writeFileSync(file, `process.stdin.once('data', () => process.stdout.write(${JSON.stringify(hello + '\n')})); setTimeout(() => {}, 5000);`);
    await assert.rejects(
      createEncoder({ encoder: 'command', command: `${node} ${q(file)}` }),
      (e: unknown) => e instanceof UserError && message.test(e.message),
    );
  }
});

test('command encoder: a child that ignores close is killed after the grace period', async () => {
  const file = join(tmp, 'stubborn.mjs');
  const pidFile = join(tmp, 'stubborn.pid');
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
process.stdin.on('data', (d) => { if (String(d).includes('hello')) process.stdout.write(JSON.stringify({ type: 'hello', protocol: 1, name: 's', dim: 1, fingerprint: '' }) + '\\n'); });
process.stdin.on('end', () => {});
setInterval(() => {}, 1000);`,
  );
  const enc = await CommandEncoder.start({ command: `${node} ${q(file)}`, closeTimeoutSeconds: 0.3 });
  const t0 = performance.now();
  await enc.close();
  const waited = performance.now() - t0;
  assert.ok(waited >= 250 && waited < 5000, `waited ${waited} ms`);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  // Gone, or a zombie waiting for its new parent to reap it (when the shell did not exec it).
  const alive = () => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  };
  for (let i = 0; i < 40 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(), false, 'the encoder process is gone');
});

test('command encoder end to end on real SICK-E and STS-B (--config fast): same metrics as --encoder bow, nothing half-written on failure', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const vectors = join(tmp, 'tasks.txt');
  await writeTaskWordVectors(vectors, dataDir, 'SICK-E,STS-B');
  const env = { GENSEN_EVAL_CACHE: join(tmp, 'cache'), SENTEVAL_DATA: dataDir };
  const outCmd = join(tmp, 'command.json');
  const r = runCli(
    ['evaluate', '--encoder', 'command', '--command', `${node} ${q(example)} ${q(vectors)}`, '--tasks', 'SICK-E,STS-B', '--config', 'fast', '--out', outCmd],
    env,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /bow\.mjs: \d+ words, 100-d/, "the child's stderr passes through");
  const cmd = JSON.parse(readFileSync(outCmd, 'utf8')) as RunResults;
  assert.equal(cmd.encoder.name, 'bow-mjs');
  assert.equal(cmd.encoder.params.fingerprint, (cmd.encoder.weightsHash as string).slice('declared:'.length));
  assert.match(cmd.tasks['SICK-E']!.notes!.join(' '), /command encoder 'bow-mjs'/);

  const bow = await evaluate(await createEncoder({ encoder: 'bow' }), {
    tasks: resolveTasks('SICK-E,STS-B'),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    progress: silentProgress,
  });
  for (const task of ['SICK-E', 'STS-B']) {
    const a = cmd.tasks[task]!.metrics;
    const b = bow.tasks[task]!.metrics;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    for (const k of Object.keys(b)) assert.ok(Math.abs(a[k]! - b[k]!) <= 1e-9, `${task} ${k}: command ${a[k]} vs bow ${b[k]}`);
  }
  assert.ok(cmd.tasks['SICK-E']!.metrics.acc! > 70 && cmd.tasks['STS-B']!.metrics.pearson! > 0.5);

  // A child that fails mid-run: one line naming it, exit non-zero, no results file.
  const outBad = join(tmp, 'bad.json');
  const bad = runCli(
    [
      'evaluate',
      '--encoder',
      'command',
      '--command',
      fake('breaks', `if (n > 3) { console.error('boom at batch ' + n); process.exit(1); } ${ok}`),
      '--tasks',
      'SICK-E',
      '--config',
      'fast',
      '--out',
      outBad,
      '--no-cache',
    ],
    env,
  );
  assert.equal(bad.status, 2);
  const lines = bad.stderr.trim().split('\n');
  assert.match(
    lines[lines.length - 1]!,
    /^gensen-eval: command encoder 'breaks' \(.*\): the encoder exited \(exit code 1\) before the run ended; its stderr ended: boom at batch 4$/,
  );
  assert.ok(!/\n\s+at /.test(bad.stderr), 'no stack trace');
  assert.equal(existsSync(outBad), false);
});

test('examples/encoders/bow.py: the dependency-free Python encoder gives --encoder bow vectors', async (t) => {
  const py = spawnSync('python3', ['--version']);
  if (py.status !== 0) {
    if (process.env.CI === 'true') throw new Error('python3 not found (needed under CI=true)');
    t.skip('python3 not found');
    return;
  }
  const enc = await createEncoder({ encoder: 'command', command: `python3 ${q(join(repoRoot(), 'examples', 'encoders', 'bow.py'))} ${q(smallVectors)}` });
  const bow = await createEncoder({ encoder: 'bow' });
  try {
    assert.equal(enc.identity.name, 'bow-py');
    await enc.prepare({ taskId: 'T', samples: [] });
    const a = await enc.encode(CONTRACT_BATCH);
    const b = await bow.encode(CONTRACT_BATCH);
    for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(a.data[i]! - b.data[i]!) <= 1e-7, `value ${i}: ${a.data[i]} vs ${b.data[i]}`);
  } finally {
    await enc.close();
  }
});
