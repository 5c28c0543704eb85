import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BowEncoder, BorepEncoder, meanVectors } from '../../../src/encoders/bow/bow.js';
import {
  embeddedVectorsCachePath,
  loadEmbeddedVectors,
  readVectorCache,
  type WordVectors,
} from '../../../src/vectors/embedded.js';
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
