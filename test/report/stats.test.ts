import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { accuracy, f1Positive, mcnemarExact, pearson, rankAverage, spearman } from '../../src/stats/index.js';
import { Rng } from '../../src/util/rng.js';
import { fixture } from './fixtures.js';

test('McNemar exact: hand-checked b=1, c=7 → 2·(1+8)/256', () => {
  assert.ok(Math.abs(mcnemarExact(1, 7) - 0.0703125) < 1e-15);
  assert.equal(mcnemarExact(7, 1), mcnemarExact(1, 7));
  assert.equal(mcnemarExact(0, 0), 1);
  assert.equal(mcnemarExact(5, 5), 1);
  // b=0, c=10: 2/1024.
  assert.ok(Math.abs(mcnemarExact(0, 10) - 2 / 1024) < 1e-15);
  // Large n stays finite and tiny (no underflow to NaN).
  const p = mcnemarExact(100, 400);
  assert.ok(p > 0 && p < 1e-30);
});

test('accuracy and positive-class F1: hand-checked five examples', () => {
  const g = [1, 1, 0, 0, 1];
  const p = [1, 0, 0, 1, 1];
  assert.equal(accuracy(g, p), 0.6);
  assert.ok(Math.abs(f1Positive(g, p) - 2 / 3) < 1e-15);
});

test('weighted metrics equal the metric on the expanded resample', () => {
  const rng = new Rng(3);
  const n = 200;
  const x = Array.from({ length: n }, () => Math.round(rng.uniform(0, 5) * 2) / 2); // ties
  const y = x.map((v) => v + rng.normal());
  const w = new Int32Array(n);
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = rng.int(n);
    w[j]++;
    idx.push(j);
  }
  const xs = idx.map((i) => x[i]);
  const ys = idx.map((i) => y[i]);
  assert.ok(Math.abs(pearson(x, y, w) - pearson(xs, ys)) < 1e-12);
  assert.ok(Math.abs(spearman(x, y, w) - spearman(xs, ys)) < 1e-12);
  const gc = x.map((v) => (v > 2.5 ? 1 : 0));
  const pc = y.map((v) => (v > 2.5 ? 1 : 0));
  assert.ok(
    Math.abs(
      accuracy(gc, pc, w) -
        accuracy(
          idx.map((i) => gc[i]),
          idx.map((i) => pc[i]),
        ),
    ) < 1e-15,
  );
  assert.ok(
    Math.abs(
      f1Positive(gc, pc, w) -
        f1Positive(
          idx.map((i) => gc[i]),
          idx.map((i) => pc[i]),
        ),
    ) < 1e-15,
  );
});

test('average ranks for ties, as scipy.stats.rankdata', () => {
  assert.deepEqual(Array.from(rankAverage([10, 20, 20, 5, 20])), [2, 4, 4, 1, 4]);
});

test('the Python Rng port used by compare_check.py draws what src/util/rng.ts draws', () => {
  const exp = JSON.parse(readFileSync(fixture('compare-expected.json'), 'utf8')) as { handChecked: { first_u32_seed1111: number[]; mcnemar_b1_c7: number } };
  const r = new Rng(1111);
  assert.deepEqual([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()], exp.handChecked.first_u32_seed1111);
  assert.ok(Math.abs(exp.handChecked.mcnemar_b1_c7 - mcnemarExact(1, 7)) < 1e-15);
});
