import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import type { SentenceEncoder } from '../../src/encoders/types.js';
import { closeProbePool } from '../../src/protocol/index.js';
import type { RunResults } from '../../src/results/schema.js';
import { readNpy } from '../../src/formats/npy.js';
import { runCli } from '../helpers/cli.js';
import { majorityClassPercent, repoRoot, senteval } from '../helpers/data.js';
import { encoderContract } from '../helpers/encoder-contract.js';
import { assertWithin, maxAbsDiff } from '../helpers/diff.js';

const fixtures = join(repoRoot(), 'test', 'fixtures', 'onnx');
const modelDir = join(fixtures, 'tiny-bert');
// PyTorch's outputs for the same weights (scripts/fixtures/make-tiny-bert.py).
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as {
  sentences: string[];
  mean_normalized: number[][];
  mean: number[][];
  cls: number[][];
  untruncated_len: number[];
};
const tmp = mkdtempSync(join(tmpdir(), 'gensen-onnx-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});
const tokens = expected.sentences.map((s) => s.split(' '));

async function maxDiff(enc: SentenceEncoder, want: number[][]): Promise<number> {
  const m = await enc.encode(tokens);
  assert.equal(m.rows, want.length);
  assert.equal(m.cols, want[0]!.length);
  return maxAbsDiff(m.data, want.flat());
}

test('onnx encoder: the tiny BERT gives PyTorch sentence embeddings within 1e-4 (mean + normalise from the sentence-transformers config, CLS, truncation)', async () => {
  assert.ok(expected.untruncated_len[7]! > 128, 'the long sentence exercises truncation to max_seq_length');
  const enc = await createEncoder({ encoder: 'onnx', modelDir });
  try {
    assert.equal(enc.identity.dim, 32);
    assert.deepEqual(enc.identity.params, { model: 'tiny-bert', pooling: 'mean', normalize: true, maxLength: 128 });
    const d = await maxDiff(enc, expected.mean_normalized);
    assert.ok(d <= 1e-4, `mean+normalize: max |diff| ${d}`);
  } finally {
    await enc.close();
  }
  const mean = await createEncoder({ encoder: 'onnx', modelDir, onnxNormalize: 'no' });
  assert.ok((await maxDiff(mean, expected.mean)) <= 1e-4);
  await mean.close();

  // A folder whose sentence-transformers config says CLS without normalisation.
  const clsDir = join(tmp, 'tiny-bert-cls');
  cpSync(modelDir, clsDir, { recursive: true });
  writeFileSync(
    join(clsDir, '1_Pooling', 'config.json'),
    JSON.stringify({ word_embedding_dimension: 32, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }),
  );
  writeFileSync(join(clsDir, 'modules.json'), JSON.stringify(JSON.parse(readFileSync(join(modelDir, 'modules.json'), 'utf8')).slice(0, 2)));
  const cls = await createEncoder({ encoder: 'onnx', modelDir: clsDir });
  try {
    assert.deepEqual(cls.identity.params, { model: 'tiny-bert-cls', pooling: 'cls', normalize: false, maxLength: 128 });
    assert.notEqual(cls.identity.weightsHash, (await createEncoder({ encoder: 'onnx', modelDir })).identity.weightsHash);
    const d = await maxDiff(cls, expected.cls);
    assert.ok(d <= 1e-4, `cls: max |diff| ${d}`);
  } finally {
    await cls.close();
  }
});

encoderContract('onnx (tiny BERT fixture)', {
  make: { encoder: 'onnx', modelDir },
  batchTolerance: 1e-5,
  bad: [
    { options: { encoder: 'onnx' }, message: /--encoder onnx needs --model-dir/ },
    { options: { encoder: 'onnx', modelDir: join(fixtures, 'nope') }, message: /--model-dir .*nope: folder not found/ },
    { options: { encoder: 'onnx', modelDir: fixtures }, message: /no onnx\/model\.onnx or model\.onnx/ },
    { options: { encoder: 'onnx', modelDir, onnxPooling: 'max' }, message: /--onnx-pooling must be one of config, mean, cls/ },
  ],
});

test('onnx encoder: unsupported sentence-transformers pooling is one line naming the file', async () => {
  const dir = join(tmp, 'tiny-bert-max');
  cpSync(modelDir, dir, { recursive: true });
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_max_tokens: true }));
  await assert.rejects(createEncoder({ encoder: 'onnx', modelDir: dir }), /1_Pooling\/config\.json: pooling_mode_max_tokens is not supported/);
});

test('onnx encoder end to end on real SICK-E and STS-B (--config fast), and encode', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const env = { SENTEVAL_DATA: dataDir, GENSEN_EVAL_CACHE: join(tmp, 'cache') };
  const out = join(tmp, 'onnx.json');
  const r = runCli(['evaluate', '--encoder', 'onnx', '--model-dir', modelDir, '--tasks', 'SICK-E,STS-B', '--config', 'fast', '--out', out], env);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as RunResults;
  assert.equal(res.encoder.name, 'onnx');
  // A random 32-d BERT: above SICK-E's majority class only a little, but a real signal (and a
  // positive correlation); SentEval's bow reaches 76 and 0.58, which a random encoder does not.
  assertWithin(res.tasks['SICK-E']!.metrics.acc, await majorityClassPercent('SICK-E', dataDir), 76, 'SICK-E acc');
  assertWithin(res.tasks['STS-B']!.metrics.pearson, 0, 0.58, 'STS-B pearson');
  assert.match(res.tasks['SICK-E']!.notes!.join(' '), /onnx encoder: tiny-bert via transformers\.js/);

  const input = join(tmp, 'in.txt');
  writeFileSync(input, `${expected.sentences.join('\n')}\n`);
  const npy = join(tmp, 'onnx.npy');
  const e = runCli(['encode', '--encoder', 'onnx', '--model-dir', modelDir, '--input', input, '--out', npy, '--quiet'], env);
  assert.equal(e.status, 0, e.stderr);
  const m = readNpy(readFileSync(npy));
  assert.deepEqual(m.shape, [8, 32]);
  expected.mean_normalized.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - m.data[i * 32 + j]!) <= 1e-4)));
});
