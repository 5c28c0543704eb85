import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitClassifier, countCorrect, TORCH_STREAM, type ClassifierSettings } from '../../src/probe/classifier.js';
import { runEarlyStopping } from '../../src/probe/early-stopping.js';
import { NO_LABELS, ProbeNet, initParams, type LossReduction } from '../../src/probe/model.js';
import { Adam } from '../../src/probe/optim.js';
import { relatednessNet } from '../../src/probe/relatedness.js';
import { encodeTai } from '../../src/probe/tai.js';
import { Rng } from '../../src/util/rng.js';
import { collectGarbage } from '../../src/util/collect-garbage.js';
import { releaseWasmLinear, wasmLinear } from '../../src/probe/wasm/linear.js';
import { assertAllClose, maxAbsDiff } from '../helpers/diff.js';

const SETTINGS: ClassifierSettings = {
  nhid: 0,
  dropout: 0,
  optim: 'adam',
  batchSize: 16,
  tenacity: 5,
  epochSize: 4,
  maxEpoch: 200,
  lossReduction: 'mean',
};

function randomData(n: number, d: number, C: number, seed: number, margin = 0): { X: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % C;
    for (let j = 0; j < d; j++) X[i * d + j] = rng.normal() + (j === y[i]! ? margin : 0);
  }
  return { X, y };
}

function finiteDifference(f: (p: Float64Array) => number, p: Float64Array, i: number): number {
  const h = 1e-6;
  const a = p.slice();
  const b = p.slice();
  a[i]! += h;
  b[i]! -= h;
  return (f(a) - f(b)) / (2 * h);
}

for (const reduction of ['mean', 'sum'] as LossReduction[]) {
  for (const [C, nhid] of [
    [2, 0],
    [4, 0],
    [3, 5],
  ] as const) {
    test(`cross-entropy gradient matches finite differences (C=${C}, nhid=${nhid}, ${reduction})`, () => {
      const d = 7;
      const { X, y } = randomData(30, d, C, 5);
      const arch = { inputDim: d, nhid, nclasses: C, dropout: 0 };
      const params = initParams(arch, new Rng(3));
      const rows = Int32Array.from([3, 1, 4, 15, 9, 2, 6, 5, 8, 29]);
      const loss = (p: Float64Array): number => new ProbeNet(arch, p).lossAndGrad(X, y, rows, 2, 9, reduction);
      const net = new ProbeNet(arch, params.slice());
      net.lossAndGrad(X, y, rows, 2, 9, reduction);
      for (let i = 0; i < params.length; i++) {
        const fd = finiteDifference(loss, params, i);
        assert.ok(Math.abs(fd - net.grad[i]!) < 1e-6, `param ${i}: analytic ${net.grad[i]} vs fd ${fd}`);
      }
    });
  }
  test(`relatedness MSE gradient matches finite differences (${reduction})`, () => {
    const d = 6;
    const { X } = randomData(20, d, 2, 9);
    const targets = new Float64Array(20 * 5);
    for (let i = 0; i < 20; i++) targets.set(encodeTai(1 + ((i * 0.37) % 4)), i * 5);
    const params = initParams({ inputDim: d, nhid: 0, nclasses: 5, dropout: 0 }, new Rng(4));
    const rows = Int32Array.from([0, 3, 5, 7, 11, 19]);
    const net = relatednessNet(params.slice(), d, targets, 5);
    net.lossAndGrad(X, NO_LABELS, rows, 0, rows.length, reduction);
    const grad = net.grad;
    const loss = (p: Float64Array): number => relatednessNet(p, d, targets, 5).lossAndGrad(X, NO_LABELS, rows, 0, rows.length, reduction);
    for (let i = 0; i < params.length; i++) {
      const fd = finiteDifference(loss, params, i);
      assert.ok(Math.abs(fd - grad[i]!) < 1e-7, `param ${i}: analytic ${grad[i]} vs fd ${fd}`);
    }
  });
}

test('Adam weight decay is coupled: the same as Adam without decay on grad + wd·param', () => {
  const rng = new Rng(2);
  const p1 = Float64Array.from({ length: 9 }, () => rng.normal());
  const p2 = p1.slice();
  const a = new Adam(9, 0.01);
  const b = new Adam(9, 0);
  for (let s = 0; s < 5; s++) {
    const g = Float64Array.from({ length: 9 }, () => rng.normal());
    const g2 = g.map((v, i) => v + 0.01 * p2[i]!);
    a.step(p1, g);
    b.step(p2, g2);
    assert.deepEqual(p1, p2);
  }
});

test('early stopping: never-reset counter, stop at the (tenacity+1)-th non-improvement', () => {
  const scores = [0.5, 0.6, 0.6, 0.55, 0.7, 0.65, 0.9, 0.95];
  const kept: number[] = [];
  let trained = 0;
  let round = 0;
  const out = runEarlyStopping(
    { epochSize: 4, maxEpoch: 200, tenacity: 2 },
    {
      trainRound: (e) => {
        trained += e;
      },
      validate: () => scores[round++]!,
      keepBest: () => kept.push(round),
    },
  );
  // Rounds 3, 4 and 6 do not improve; the counter reaches the tenacity at round 6 and stops,
  // although round 5 improved in between (no reset), so 0.9 and 0.95 are never seen.
  assert.deepEqual(kept, [1, 2, 5]);
  assert.equal(out.rounds, 6);
  assert.equal(out.bestRound, 5);
  assert.equal(out.best, 0.7);
  assert.equal(trained, 24);
});

test('early stopping: equal scores do not improve, and max_epoch bounds nepoch inclusively', () => {
  let round = 0;
  const out = runEarlyStopping(
    { epochSize: 4, maxEpoch: 10, tenacity: 100 },
    { trainRound: () => undefined, validate: () => 0.5 + 0 * round++, keepBest: () => undefined },
  );
  // nepoch 0, 4, 8 are <= 10: three rounds; only the first improves on -1.
  assert.equal(out.rounds, 3);
  assert.equal(out.bestRound, 1);
  assert.equal(out.epochs, 12);
});

test('fitClassifier keeps the model of the best round, not the last', () => {
  const { X, y } = randomData(200, 6, 2, 11);
  const data = { X, cols: 6, y };
  const train = Int32Array.from({ length: 160 }, (_, i) => i);
  const dev = Int32Array.from({ length: 40 }, (_, i) => 160 + i);
  const s = { ...SETTINGS, tenacity: 1 };
  // Best at round 2, then rounds 3 and 4 fail: stop after round 4.
  const a = fitClassifier(
    data,
    train,
    { rows: dev },
    {
      nclasses: 2,
      l2: 1e-3,
      seed: 7,
      settings: s,
      scriptedValidation: (r) => [0.1, 0.9, 0.2, 0.2][r - 1]!,
    },
  );
  assert.equal(a.stopping.rounds, 4);
  assert.equal(a.stopping.bestRound, 2);
  // The same run cut after two rounds ends on the round-2 model.
  const b = fitClassifier(
    data,
    train,
    { rows: dev },
    {
      nclasses: 2,
      l2: 1e-3,
      seed: 7,
      settings: { ...s, maxEpoch: s.epochSize },
      scriptedValidation: (r) => r,
    },
  );
  assert.equal(b.stopping.rounds, 2);
  assert.deepEqual(a.net.params, b.net.params);
  const c = fitClassifier(
    data,
    train,
    { rows: dev },
    {
      nclasses: 2,
      l2: 1e-3,
      seed: 7,
      settings: { ...s, maxEpoch: 3 * s.epochSize },
      scriptedValidation: (r) => r,
    },
  );
  assert.notDeepEqual(a.net.params, c.net.params);
});

for (const [name, s, simd] of [
  ['logistic (simd)', SETTINGS, true],
  ['logistic (js)', SETTINGS, false],
  ['MLP with dropout', { ...SETTINGS, nhid: 16, dropout: 0.1 }, false],
  ['logistic, rmsprop, summed loss', { ...SETTINGS, optim: 'rmsprop', lossReduction: 'sum' }, true],
] as [string, ClassifierSettings, boolean][]) {
  for (const C of [2, 3]) {
    test(`${name} reaches 100% on separable data (${C} classes)`, () => {
      const { X, y } = randomData(300, 10, C, 21 + C, 12);
      const data = { X, cols: 10, y };
      const rows = Int32Array.from({ length: 300 }, (_, i) => i);
      // Validating on the training rows themselves: the kept model is the first to fit them all.
      const fit = fitClassifier(data, rows, { rows }, { nclasses: C, l2: 1e-5, seed: 1, settings: s, simd });
      assert.equal(fit.bestAccuracy, 1);
      assert.equal(countCorrect(fit.net, data, rows), 300);
    });
  }
}

test('same seed, same model; another seed, another model; simd and js agree closely', () => {
  const { X, y } = randomData(400, 12, 2, 3, 0.3);
  const data = { X, cols: 12, y };
  const rows = Int32Array.from({ length: 400 }, (_, i) => i);
  const fit = (seed: number, simd = true) => fitClassifier(data, rows, { split: 0.05 }, { nclasses: 2, l2: 1e-4, seed, settings: SETTINGS, simd });
  const a = fit(1111);
  assert.deepEqual(a.net.params, fit(1111).net.params);
  assert.notDeepEqual(a.net.params, fit(1112).net.params);
  // SIMD against scalar over exactly one round (maxEpoch 0: one round of epochSize epochs, 96 Adam
  // steps, whose model is kept whatever its accuracy), so the comparison never depends on both
  // runs happening to stop alike.
  const once = { ...SETTINGS, maxEpoch: 0 };
  const [simd, js] = [true, false].map((simd) => fitClassifier(data, rows, { split: 0.05 }, { nclasses: 2, l2: 1e-4, seed: 1111, settings: once, simd }));
  assert.equal(simd!.stopping.rounds, 1);
  assert.equal(js!.stopping.rounds, 1);
  assertAllClose(simd!.net.params, js!.net.params, 1e-5, 'simd vs js after one round');
  assert.ok(
    maxAbsDiff(simd!.net.params, initParams({ inputDim: 12, nhid: 0, nclasses: 2, dropout: 0 }, new Rng(1111, TORCH_STREAM))) > 1e-2,
    'the round trained',
  );
});

test('kernels let go between tasks: a fresh instance fits the same model, and the old memory is collected', async () => {
  const { X, y } = randomData(400, 12, 2, 3, 0.3);
  const data = { X, cols: 12, y };
  const rows = Int32Array.from({ length: 400 }, (_, i) => i);
  const fit = () => fitClassifier(data, rows, { split: 0.05 }, { nclasses: 2, l2: 1e-4, seed: 1111, settings: SETTINGS }).net.params;
  const before = fit();
  const old = wasmLinear();
  assert.ok(old, 'wasm SIMD kernels available');
  releaseWasmLinear();
  assert.notEqual(wasmLinear(), old);
  assert.deepEqual(fit(), before);
  // A memory nothing refers to any more is collected on demand, not at some later allocation.
  let collected = false;
  const registry = new FinalizationRegistry(() => {
    collected = true;
  });
  (() => registry.register(new WebAssembly.Memory({ initial: 16 }), 'memory'))();
  for (let i = 0; i < 10 && !collected; i++) {
    collectGarbage();
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(collected, 'the released memory was collected');
});

test('Tai encoding: SentEval encode_labels, and the STS-B below-1 quirk', () => {
  const close = (a: Float64Array, b: number[]): void => {
    assert.equal(a.length, b.length);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `${Array.from(a)} vs ${b}`));
  };
  close(encodeTai(3.6), [0, 0, 0.4, 0.6, 0]);
  close(encodeTai(1), [1, 0, 0, 0, 0]);
  close(encodeTai(4.25), [0, 0, 0, 0.75, 0.25]);
  close(encodeTai(5), [0, 0, 0, 0, 1]);
  // Faithful: f = 0 has no class, so only the "y - f" branch fires on class 1.
  close(encodeTai(0.4), [0.4, 0, 0, 0, 0]);
  close(encodeTai(0), [0, 0, 0, 0, 0]);
  close(encodeTai(0.4, { quirk: 'clean' }), [1, 0, 0, 0, 0]);
  close(encodeTai(0, { quirk: 'clean' }), [1, 0, 0, 0, 0]);
  close(encodeTai(2.5, { quirk: 'clean' }), [0, 0.5, 0.5, 0, 0]);
  for (let y = 1; y <= 5; y += 0.01) {
    const p = encodeTai(y);
    const sum = p.reduce((a, b) => a + b, 0);
    const mean = p.reduce((a, v, i) => a + v * (i + 1), 0);
    assert.ok(Math.abs(sum - 1) < 1e-9 && Math.abs(mean - y) < 1e-9, `y=${y}`);
  }
});
