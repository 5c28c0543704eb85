import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BowEncoder, BorepEncoder, meanVectors } from '../../../src/encoders/bow/bow.js';
import { embeddedVectorsCachePath, loadEmbeddedVectors, readVectorCache, type WordVectors } from '../../../src/vectors/embedded.js';
import { Rng } from '../../../src/util/rng.js';

const tiny: WordVectors = {
  words: ['a', 'b'],
  dim: 2,
  vectors: Float32Array.from([1, 2, 3, 6]),
  index: new Map([
    ['a', 0],
    ['b', 1],
  ]),
  hash: 'x',
  source: 'tiny',
};

test('bow: mean over known token occurrences (lowercased), zeros when none', () => {
  const m = meanVectors(tiny, [['A', 'b', 'b', 'zz'], [], ['zz']]);
  assert.deepEqual([...m.data], [7 / 3, 14 / 3, 0, 0, 0, 0].map(Math.fround));
});

test('borep: the projection of the mean, fixed by the seed', async () => {
  const e1 = new BorepEncoder(tiny, 5, 7, new Rng(7, 1));
  const e2 = new BorepEncoder(tiny, 5, 7, new Rng(7, 1));
  const e3 = new BorepEncoder(tiny, 5, 8, new Rng(8, 1));
  const batch = [['a', 'b'], ['zz']];
  const x = await e1.encode(batch);
  assert.deepEqual(x, await e2.encode(batch));
  assert.notDeepEqual(x.data, (await e3.encode(batch)).data);
  assert.notEqual(e1.identity.weightsHash, e3.identity.weightsHash);
  assert.deepEqual([...x.data.subarray(5)], [0, 0, 0, 0, 0]);
  // Linear: encoding [a] and [b] and averaging equals encoding [a, b].
  const ab = await e1.encode([['a'], ['b']]);
  for (let j = 0; j < 5; j++) assert.ok(Math.abs((ab.data[j]! + ab.data[5 + j]!) / 2 - x.data[j]!) < 1e-6);
});

test('borep: the batched float64 GEMM equals a plain double loop over the float32 mean, rounded once', async () => {
  // 300 words of 37-d random vectors, 1,031-d projection (odd sizes: no block of the GEMM is whole).
  const rng = new Rng(5, 2);
  const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
  const d = 37;
  const wv: WordVectors = {
    words,
    dim: d,
    vectors: Float32Array.from({ length: words.length * d }, () => rng.uniform(-2, 2)),
    index: new Map(words.map((w, i) => [w, i])),
    hash: 'random',
    source: 'random',
  };
  const D = 1031;
  const W = new Rng(9, 0x6b0e);
  const enc = new BorepEncoder(wv, D, 9, W);
  const w = new Float32Array(d * D);
  const again = new Rng(9, 0x6b0e);
  for (let i = 0; i < w.length; i++) w[i] = again.uniform(-1 / Math.sqrt(d), 1 / Math.sqrt(d));
  const batch = Array.from({ length: 77 }, (_, s) => Array.from({ length: 1 + (s % 13) }, (_, t) => words[(s * 31 + t * 7) % 300]!));
  batch.push([], ['unknown']);
  const y = await enc.encode(batch);
  assert.equal(y.rows, batch.length);
  const mean = meanVectors(wv, batch).data;
  let worst = 0;
  for (let s = 0; s < batch.length; s++) {
    for (let j = 0; j < D; j++) {
      let acc = 0;
      for (let k = 0; k < d; k++) acc += mean[s * d + k]! * w[k * D + j]!;
      const ref = Math.fround(acc);
      worst = Math.max(worst, Math.abs(ref - y.data[s * D + j]!) / Math.max(Math.abs(ref), 1e-30));
    }
  }
  assert.ok(worst <= 1.2e-7, `largest relative difference ${worst}`);
  assert.deepEqual([...y.data.subarray(77 * D)], new Array(2 * D).fill(0));
  assert.equal((await enc.encode([])).rows, 0);
});

test('embedded vectors: real GloVe-6B 100-d values, binary cache round trip', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gensen-cache-'));
  const prev = process.env.GENSEN_EVAL_CACHE;
  process.env.GENSEN_EVAL_CACHE = dir;
  try {
    const wv = loadEmbeddedVectors();
    assert.equal(wv.dim, 100);
    assert.ok(wv.words.length > 300000);
    const the = wv.index.get('the')!;
    // GloVe 6B 100d's vector for "the" begins -0.038194 -0.24487 0.72812.
    assert.deepEqual([...wv.vectors.subarray(the * 100, the * 100 + 3)], [-0.038194, -0.24487, 0.72812].map(Math.fround));
    const enc = new BowEncoder(wv);
    assert.equal(enc.identity.dim, 100);
    assert.equal(enc.identity.weightsHash, wv.hash);
    // The conversion wrote the binary cache; reading it back gives the same table.
    const path = embeddedVectorsCachePath();
    const back = readVectorCache(path)!;
    assert.ok(back, `no readable cache at ${path}`);
    assert.deepEqual(back.words, wv.words);
    assert.deepEqual(back.vectors, wv.vectors);
    assert.equal(back.hash, wv.hash);
    assert.equal(back.source, wv.source);
    assert.equal(back.index.get('the'), the);
    // A damaged cache file is not trusted (it is rebuilt instead).
    const damaged = join(dir, 'damaged.bin');
    writeFileSync(damaged, readFileSync(path).subarray(0, 1000));
    assert.equal(readVectorCache(damaged), undefined);
  } finally {
    if (prev === undefined) delete process.env.GENSEN_EVAL_CACHE;
    else process.env.GENSEN_EVAL_CACHE = prev;
    rmSync(dir, { recursive: true, force: true });
  }
});
