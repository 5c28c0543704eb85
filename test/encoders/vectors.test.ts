import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { NpyWriter, readNpy } from '../../src/formats/npy.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { taskContext } from '../../src/evaluate/run-task.js';
import { closeProbePool } from '../../src/protocol/index.js';
import type { RunResults } from '../../src/results/schema.js';
import { loadTask } from '../../src/tasks/load.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, senteval } from '../helpers/data.js';
import { CONTRACT_BATCH, encoderContract } from '../helpers/encoder-contract.js';
import { writeTaskWordVectors } from '../helpers/word-vectors-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-vectors-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});

function writeNpy(path: string, rows: number, dim: number, data: Float32Array): void {
  const w = new NpyWriter(path, '<f4', [rows, dim]);
  w.append(data);
  w.close();
}

// The contract batch's sentences with bow's vectors.
const smallNpy = join(tmp, 'small.npy');
const smallJsonl = join(tmp, 'small.jsonl');
{
  const bow = await createEncoder({ encoder: 'bow' });
  const m = await bow.encode(CONTRACT_BATCH);
  writeNpy(smallNpy, m.rows, m.cols, m.data);
  writeFileSync(smallJsonl, CONTRACT_BATCH.map((t) => `${JSON.stringify(t.join(' '))}\n`).join(''));
}

encoderContract('vectors (precomputed .npy + .jsonl)', {
  make: { encoder: 'vectors', vectors: smallNpy, sentences: smallJsonl },
  bad: [
    { options: { encoder: 'vectors', sentences: smallJsonl }, message: /--encoder vectors needs --vectors/ },
    { options: { encoder: 'vectors', vectors: join(tmp, 'nope.npy'), sentences: smallJsonl }, message: /--vectors .*nope\.npy: file not found/ },
    { options: { encoder: 'vectors', vectors: smallJsonl, sentences: smallJsonl }, message: /--vectors .*small\.jsonl: not a \.npy file/ },
    { options: { encoder: 'vectors', vectors: smallNpy, sentences: smallNpy }, message: /small\.npy: not valid UTF-8|expected a \.jsonl/ },
  ],
});

test('vectors encoder: row counts must match, a missing sentence is one line naming it', async () => {
  const short = join(tmp, 'short.jsonl');
  writeFileSync(
    short,
    CONTRACT_BATCH.slice(1)
      .map((t) => `${JSON.stringify(t.join(' '))}\n`)
      .join(''),
  );
  await assert.rejects(createEncoder({ encoder: 'vectors', vectors: smallNpy, sentences: short }), /has 4 lines but --vectors .* has 5 rows/);
  const m = readNpy(readFileSync(smallNpy));
  const npy4 = join(tmp, 'short.npy');
  writeNpy(npy4, 4, 100, (m.data as Float32Array).slice(100));
  const enc = await createEncoder({ encoder: 'vectors', vectors: npy4, sentences: short });
  await assert.rejects(
    enc.prepare({ taskId: 'MR', samples: CONTRACT_BATCH }),
    /^UserError: --sentences .*short\.jsonl has no line "A man is playing a guitar \." \(needed by MR\): write the run's sentences with 'gensen-eval sentences/,
  );
  await assert.rejects(enc.encode([['not', 'there']]), /has no line "not there"/);
  assert.deepEqual((await enc.encode([CONTRACT_BATCH[2]!])).data, (m.data as Float32Array).slice(200, 300));
});

test('sentences, encode and --encoder vectors end to end on real SICK-E and STS-B: same metrics as --encoder bow', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const env = { SENTEVAL_DATA: dataDir, GENSEN_EVAL_CACHE: join(tmp, 'cache') };
  const jsonl = join(tmp, 'sentences.jsonl');
  const s = runCli(['sentences', '--tasks', 'SICK-E,STS-B', '--out', jsonl], env);
  assert.equal(s.status, 0, s.stderr);
  const lines = readFileSync(jsonl, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as string);
  // Every sample of both tasks, once, in exact string form.
  const want = new Set<string>();
  for (const def of resolveTasks('SICK-E,STS-B')) for (const x of taskContext(def, await loadTask(def, dataDir)).samples) want.add(x.join(' '));
  assert.equal(lines.length, want.size);
  assert.deepEqual(new Set(lines), want);
  assert.match(s.stderr, new RegExp(`wrote ${want.size} sentences`));

  // encode works with every encoder: bow here, and the command encoder over the same word vectors.
  const npy = join(tmp, 'bow.npy');
  const e = runCli(['encode', '--encoder', 'bow', '--input', jsonl, '--out', npy, '--quiet'], env);
  assert.equal(e.status, 0, e.stderr);
  const bowVecs = readNpy(readFileSync(npy));
  assert.deepEqual(bowVecs.shape, [lines.length, 100]);
  const vectors = join(tmp, 'tasks.txt');
  await writeTaskWordVectors(vectors, dataDir, 'SICK-E,STS-B');
  const example = join(repoRoot(), 'examples', 'encoders', 'bow.mjs');
  const npyCmd = join(tmp, 'command.npy');
  const c = runCli(
    ['encode', '--encoder', 'command', '--command', `'${process.execPath}' '${example}' '${vectors}'`, '--input', jsonl, '--out', npyCmd, '--quiet'],
    env,
  );
  assert.equal(c.status, 0, c.stderr);
  assert.deepEqual(readNpy(readFileSync(npyCmd)).data, bowVecs.data);
  const npyBack = join(tmp, 'back.npy');
  const v = runCli(['encode', '--encoder', 'vectors', '--vectors', npy, '--sentences', jsonl, '--input', jsonl, '--out', npyBack, '--quiet'], env);
  assert.equal(v.status, 0, v.stderr);
  assert.deepEqual(readNpy(readFileSync(npyBack)).data, bowVecs.data);
  const bad = runCli(['encode', '--encoder', 'bow', '--glove', vectors, '--input', jsonl, '--out', join(tmp, 'x.npy')], env);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^gensen-eval: --glove is an option of --encoder gensen, not bow\n$/);

  const out = join(tmp, 'vectors.json');
  const r = runCli(
    ['evaluate', '--encoder', 'vectors', '--vectors', npy, '--sentences', jsonl, '--tasks', 'SICK-E,STS-B', '--config', 'fast', '--out', out],
    env,
  );
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as RunResults;
  assert.equal(res.encoder.name, 'vectors');
  const bow = await evaluate(await createEncoder({ encoder: 'bow' }), {
    tasks: resolveTasks('SICK-E,STS-B'),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    progress: silentProgress,
  });
  for (const task of ['SICK-E', 'STS-B']) assert.deepEqual(res.tasks[task]!.metrics, bow.tasks[task]!.metrics, task);

  // A task whose sentences are not in the file: one line, before anything is encoded.
  const miss = runCli(
    ['evaluate', '--encoder', 'vectors', '--vectors', npy, '--sentences', jsonl, '--tasks', 'MRPC', '--config', 'fast', '--out', join(tmp, 'mrpc.json')],
    env,
  );
  assert.equal(miss.status, 2);
  assert.match(miss.stderr, /^gensen-eval: --sentences .*sentences\.jsonl has no line ".*" \(needed by MRPC\)/);
  assert.equal(miss.stderr.trim().split('\n').length, 1);
});
