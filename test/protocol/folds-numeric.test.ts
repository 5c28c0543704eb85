import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldAllocation, stratifiedKFold } from '../../src/protocol/stratified-kfold.js';
import { pyRound } from '../../src/protocol/pyround.js';
import { npMean } from '../../src/protocol/npmean.js';
import { f1Binary } from '../../src/protocol/engines.js';
import { pearson, spearman } from '../../src/stats/index.js';
import { readProbeFixture } from '../probe/fixtures.js';

interface FoldCase {
  name: string;
  k: number;
  y: number[];
  labels: number[];
  testCounts: number[][];
}
interface Numeric {
  round2: [number, number][];
  mean: [number[], number][];
  f1: [number[], number[], number][];
  corr: [number[], number[], number, number][];
}

for (const c of readProbeFixture<FoldCase[]>('folds.json')) {
  test(`stratified k-fold matches sklearn's per-fold class counts: ${c.name}`, () => {
    for (const seed of [1111, 1, 99]) {
      const folds = stratifiedKFold(c.y, c.k, seed);
      assert.equal(folds.length, c.k);
      const seen = new Int32Array(c.y.length);
      folds.forEach((f, i) => {
        const counts = c.labels.map((l) => f.test.filter((r) => c.y[r] === l).length);
        assert.deepEqual(counts, c.testCounts[i], `fold ${i}, seed ${seed}`);
        assert.equal(f.train.length + f.test.length, c.y.length);
        const inTest = new Set(f.test);
        for (const r of f.train) assert.ok(!inTest.has(r), 'train and test overlap');
        for (const part of [f.train, f.test]) for (let k = 1; k < part.length; k++) assert.ok(part[k - 1]! < part[k]!, 'indices ascending');
        for (const r of f.test) seen[r]!++;
      });
      assert.ok(
        seen.every((v) => v === 1),
        'every sample is tested exactly once',
      );
    }
  });
}

test('stratified k-fold: the seed changes the folds, the same seed repeats them', () => {
  const y = Array.from({ length: 200 }, (_, i) => (i * 7) % 3);
  const a = stratifiedKFold(y, 5, 1111);
  assert.deepEqual(a, stratifiedKFold(y, 5, 1111));
  assert.notDeepEqual(a, stratifiedKFold(y, 5, 1112));
});

test('stratified k-fold refuses impossible splits like sklearn', () => {
  assert.throws(() => foldAllocation([0, 0, 1, 1], 3), /members in each class/);
  assert.throws(() => foldAllocation([0, 1], 5), /cannot split/);
});

const numeric = readProbeFixture<Numeric>('numeric.json');

test("pyRound is Python's round(x, 2), ties to even on the exact value", () => {
  for (const [x, r] of numeric.round2) assert.equal(pyRound(x, 2), r, `round(${x}, 2)`);
});

test("npMean is numpy's pairwise mean to the last bit", () => {
  for (const [a, m] of numeric.mean) assert.equal(npMean(a), m);
});

test('f1Binary is sklearn f1_score ×100 rounded', () => {
  for (const [g, p, f] of numeric.f1) assert.equal(f1Binary(Int32Array.from(g), Int32Array.from(p)), f);
});

test('pearson / spearman (average ranks) agree with scipy', () => {
  for (const [a, b, pr, sr] of numeric.corr) {
    assert.ok(Math.abs(pearson(a, b) - pr) < 1e-12);
    assert.ok(Math.abs(spearman(a, b) - sr) < 1e-12);
  }
});
