/**
 * fitLockstep against fitClassifier, member by member: the same kept parameters (bit for bit),
 * stopping and best accuracy, for two and three classes, an odd feature width (the kernels'
 * scalar tail), a bound matrix and a streamed source, Adam and RMSprop, and members that stop at
 * different rounds. (test/evaluate/lockstep.test.ts does the same on real tasks.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitClassifier, type ClassifierSettings } from '../../src/probe/classifier.js';
import { fitLockstep, lockstepSupported } from '../../src/probe/lockstep.js';
import { denseSource } from '../../src/features/source.js';
import { Rng } from '../../src/util/rng.js';

function noisyClasses(n: number, d: number, C: number, seed: number): { X: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const means = Array.from({ length: C }, () => Float64Array.from({ length: d }, () => rng.normal() * 0.15));
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    y[i] = c;
    for (let j = 0; j < d; j++) X[i * d + j] = means[c]![j]! + rng.normal();
  }
  return { X, y };
}

const base: ClassifierSettings = { nhid: 0, dropout: 0, optim: 'adam', batchSize: 16, tenacity: 2, epochSize: 1, maxEpoch: 40, lossReduction: 'mean' };

for (const [C, d, optim, streamed] of [
  [2, 39, 'adam', false],
  [3, 24, 'rmsprop', true],
  [2, 40, 'adam', true],
  [4, 13, 'adam', false],
] as const) {
  test(`lockstep = one at a time: ${C} classes, ${d}-d, ${optim}, ${streamed ? 'streamed' : 'bound'} features`, (t) => {
    if (!lockstepSupported(base)) {
      t.skip('no WebAssembly SIMD in this runtime');
      return;
    }
    const { X, y } = noisyClasses(300, d, C, 7 + C + d);
    const data = { X: streamed ? denseSource(X, d) : X, cols: d, y };
    const rows = Int32Array.from({ length: 300 }, (_, i) => i);
    const train = rows.subarray(0, 240);
    const settings = { ...base, optim };
    const l2s = [1e-5, 1e-3, 0.3, 3];
    for (const validation of [{ rows: rows.subarray(240) }, { split: 0.1 }]) {
      const fits = fitLockstep(data, train, validation, { nclasses: C, l2s, seed: 1111, settings });
      const epochs = new Set<number>();
      l2s.forEach((l2, i) => {
        const one = fitClassifier(data, train, validation, { nclasses: C, l2, seed: 1111, settings });
        assert.deepEqual(fits[i]!.stopping, one.stopping, `l2 ${l2}`);
        assert.equal(fits[i]!.bestAccuracy, one.bestAccuracy);
        assert.equal(fits[i]!.net.params.length, one.net.params.length);
        assert.ok(
          fits[i]!.net.params.every((v, k) => Object.is(v, one.net.params[k])),
          `l2 ${l2}: parameters bit-identical`,
        );
        epochs.add(one.stopping.epochs);
      });
      assert.ok(epochs.size > 1, `members stopped at different epochs (${[...epochs]})`);
    }
  });
}
