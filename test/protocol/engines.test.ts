import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { matrix, type Matrix } from '../../src/util/matrix.js';
import { Rng } from '../../src/util/rng.js';
import {
  closeProbePool,
  configureProbePool,
  runInnerKFold,
  runKFold,
  runRelatedness,
  runSplit,
  stratifiedKFold,
  pyRound,
  type ProbeSettings,
} from '../../src/protocol/index.js';

after(() => closeProbePool());

const S: ProbeSettings = {
  kfold: 3,
  optim: 'adam',
  batchSize: 32,
  tenacity: 3,
  epochSize: 4,
  maxEpoch: 60,
  nhid: 0,
  dropout: 0,
  lossReduction: 'mean',
};

function data(n: number, d: number, C: number, seed: number): { X: Matrix; y: Int32Array } {
  const rng = new Rng(seed);
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(C);
    for (let j = 0; j < d; j++) X[i * d + j] = rng.normal() + (j === y[i] ? 2.5 : 0);
  }
  return { X: matrix(n, d, X), y };
}

function accuracy(pred: Int32Array, y: Int32Array): number {
  let c = 0;
  pred.forEach((p, i) => (c += p === y[i] ? 1 : 0));
  return c / y.length;
}

test('inner k-fold: acc is the mean of per-outer-fold accuracies of its predictions; deterministic across worker counts', async () => {
  const { X, y } = data(450, 8, 2, 1);
  let last = [0, 0];
  configureProbePool({ workers: 2 });
  const a = await runInnerKFold(X, y, 2, S, 1111, (d, t) => (last = [d, t]));
  assert.deepEqual(last, [3 * (4 * 3 + 1), 3 * (4 * 3 + 1)]);
  configureProbePool({ workers: 0 });
  const b = await runInnerKFold(X, y, 2, S, 1111);
  assert.deepEqual(a, b);
  // Recompute acc from the predictions over SentEval's outer folds (random_state 1111).
  const perFold = stratifiedKFold(y, 3, 1111).map((f) => pyRound((100 * f.test.filter((r) => a.predictions[r] === y[r]).length) / f.test.length, 2));
  assert.equal(a.acc, pyRound(perFold.reduce((s, v) => s + v, 0) / 3, 2));
  assert.ok(a.acc > 70 && a.devacc > 70, `acc ${a.acc} devacc ${a.devacc}`);
  assert.equal(a.l2.length, 3);
  const c = await runInnerKFold(X, y, 2, S, 1112);
  assert.notDeepEqual(c.predictions, a.predictions);
});

test('k-fold: refit predictions give the reported test accuracy; 6 classes; deterministic', async () => {
  const tr = data(1500, 10, 6, 2);
  const te = data(120, 10, 6, 3);
  configureProbePool({ workers: 2 });
  const a = await runKFold(tr, te, 6, S, 1111);
  configureProbePool({ workers: 0 });
  const b = await runKFold(tr, te, 6, S, 1111);
  assert.deepEqual(a, b);
  assert.equal(a.predictions.length, 120);
  assert.equal(a.acc, pyRound(100 * accuracy(a.predictions, te.y), 2));
  assert.ok(a.acc > 60, `acc ${a.acc}`);
});

test('split: every named test set is scored by the chosen model; noreg uses 1e-9', async () => {
  const tr = data(1200, 6, 3, 4);
  const dv = data(200, 6, 3, 5);
  const t1 = data(90, 6, 3, 6);
  const t2 = data(70, 6, 3, 7);
  configureProbePool({ workers: 2 });
  const r = await runSplit(tr, dv, { matched: t1, mismatched: t2 }, 3, S, 1111);
  assert.deepEqual(Object.keys(r.acc), ['matched', 'mismatched']);
  assert.equal(r.acc['matched'], pyRound(100 * accuracy(r.predictions['matched']!, t1.y), 2));
  assert.equal(r.acc['mismatched'], pyRound(100 * accuracy(r.predictions['mismatched']!, t2.y), 2));
  assert.ok([1e-5, 1e-4, 1e-3, 1e-2].includes(r.l2));
  const nr = await runSplit(tr, dv, { test: t1 }, 3, { ...S, maxEpoch: 15, epochSize: 1 }, 1111, { noreg: true });
  assert.equal(nr.l2, 1e-9);
  assert.ok(nr.acc['test']! > 50);
});

test('relatedness: learns a signal, reports Pearson/Spearman/MSE of the expected score', async () => {
  const rng = new Rng(9);
  const make = (n: number) => {
    const d = 8;
    const X = new Float32Array(n * d);
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 3;
      for (let j = 0; j < d; j++) {
        const v = rng.normal();
        X[i * d + j] = v;
        if (j < 3) s += 0.5 * v;
      }
      scores[i] = Math.min(5, Math.max(1, s));
    }
    return { X: matrix(n, d, X), scores };
  };
  const [tr, dv, te] = [make(400), make(100), make(150)];
  const r = await runRelatedness(tr, dv, te, { lossReduction: 'mean' }, 1111);
  assert.equal(r.predictions.length, 150);
  assert.ok(r.pearson > 0.8 && r.spearman > 0.8 && r.devcorr > 0.8, JSON.stringify({ p: r.pearson, s: r.spearman, d: r.devcorr }));
  assert.ok(r.predictions.every((v) => v >= 1 && v <= 5));
  const mse = r.predictions.reduce((a, v, i) => a + (v - te.scores[i]!) ** 2, 0) / 150;
  assert.ok(Math.abs(mse - r.mse) < 1e-12);
  const again = await runRelatedness(tr, dv, te, { lossReduction: 'mean' }, 1111);
  assert.deepEqual(again, r);
});
