/**
 * The WGSL trainer against the one scalar reference of each loss (src/probe/reference.ts), as
 * test/probe/reference.test.ts holds the CPU forms: one training step — one epoch whose one
 * minibatch is every training row, in the order the epoch stream shuffles them, dropout masks
 * drawn after the shuffle from the same stream — then one Adam step from the reference gradient.
 * The parameters agree to float32 rounding (the WGSL trainer is float32 throughout). Cross-entropy
 * (logistic, two and three classes; the MLP with and without dropout) and the relatedness MSE.
 * Skips without a WebGPU adapter (fails under CI=true), like test/probe/gpu-probes.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireGpu } from '../../src/compute/webgpu.js';
import { EPOCH_STREAM, TORCH_STREAM } from '../../src/probe/classifier.js';
import { FastStream, shuffledInto } from '../../src/probe/fast-stream.js';
import { initParams, type ProbeArch } from '../../src/probe/model.js';
import { Adam } from '../../src/probe/optim.js';
import { crossEntropyStep, distributionMseStep, type ReferenceStep } from '../../src/probe/reference.js';
import { encodeTaiAll } from '../../src/probe/tai.js';
import { uploadDataset } from '../../src/probe/webgpu/features.js';
import { trainLockstep, type LockstepSettings } from '../../src/probe/webgpu/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { assertAllClose, maxAbsDiff } from '../helpers/diff.js';
import { needGpu } from '../helpers/gpu.js';

const N = 120;
const D = 24;
const TRAIN = Int32Array.from({ length: 90 }, (_, i) => i);
const DEV = Int32Array.from({ length: 30 }, (_, i) => 90 + i);
const L2 = 0.01;
const SEED = 4321;
/** Float32 rounding of parameters of order 1 (the WGSL trainer's own tolerance against the CPU). */
const TOL = 1e-5;

function features(): Float32Array {
  const r = new Rng(5, 9);
  return new Float32Array(N * D).map(() => r.uniform(-1, 1));
}

/** The epoch's row order and then the dropout masks, drawn from the epoch stream as training does. */
function epochOrder(H: number, dropout: number): { rows: Int32Array; masks?: Float64Array } {
  const rng = new FastStream(SEED, EPOCH_STREAM);
  const rows = new Int32Array(TRAIN.length);
  shuffledInto(TRAIN, rows, rng);
  if (dropout === 0) return { rows };
  const keep = 1 - dropout;
  return { rows, masks: Float64Array.from({ length: rows.length * H }, () => (rng.next() < keep ? 1 / keep : 0)) };
}

function oneStep(init: Float64Array, ref: ReferenceStep): Float64Array {
  const p = init.slice();
  new Adam(p.length, L2).step(p, ref.grad);
  return p;
}

const SCHEDULE = { optim: 'adam', batchSize: TRAIN.length, epochSize: 1, maxEpoch: 0, tenacity: 0, lossReduction: 'mean' } as const;

test('WGSL trainer: one cross-entropy step (logistic and MLP, with and without dropout) agrees with the reference', async (t) => {
  if (!(await needGpu(t))) return;
  const ctx = await requireGpu();
  const X = features();
  for (const { C, H, dropout } of [
    { C: 2, H: 0, dropout: 0 },
    { C: 3, H: 0, dropout: 0 },
    { C: 3, H: 7, dropout: 0 },
    { C: 2, H: 9, dropout: 0.25 },
  ]) {
    const y = Int32Array.from({ length: N }, (_, i) => (X[i * D]! + X[i * D + 1]! > 0 ? 1 : 0) + (C === 3 && X[i * D + 2]! > 0.5 ? 1 : 0));
    const arch: ProbeArch = { inputDim: D, nhid: H, nclasses: C, dropout };
    const init = initParams(arch, new Rng(SEED, TORCH_STREAM));
    const gds = uploadDataset(ctx, { id: 1, X, cols: D, y });
    const settings: LockstepSettings = { ...SCHEDULE, nhid: H, nclasses: C, dropout, loss: 'ce' };
    const [fit] = await trainLockstep(ctx, gds, settings, [
      { train: TRAIN, dev: DEV, init, l2: L2, rng: new FastStream(SEED, EPOCH_STREAM), score: () => 0.5 },
    ]);
    gds.destroy();
    const { rows, masks } = epochOrder(H, dropout);
    const expected = oneStep(init, crossEntropyStep(arch, init, { X, cols: D, rows }, y, 'mean', masks));
    assertAllClose(fit!.params, expected, TOL, `C ${C} nhid ${H} dropout ${dropout}`);
    // The step moved the parameters well beyond the tolerance: the comparison can fail.
    assert.ok(maxAbsDiff(expected, init) > 50 * TOL);
  }
});

test('WGSL trainer: one relatedness (distribution MSE) step agrees with the reference', async (t) => {
  if (!(await needGpu(t))) return;
  const ctx = await requireGpu();
  const X = features();
  const r = new Rng(6, 2);
  const scores = Float64Array.from({ length: N }, () => 1 + 4 * r.uniform(0, 1));
  const targets = encodeTaiAll(scores, { nclass: 5 });
  const arch: ProbeArch = { inputDim: D, nhid: 0, nclasses: 5, dropout: 0 };
  const init = initParams(arch, new Rng(SEED, TORCH_STREAM));
  const gds = uploadDataset(ctx, { id: 1, X, cols: D, targets });
  const settings: LockstepSettings = { ...SCHEDULE, nhid: 0, nclasses: 5, dropout: 0, loss: 'mse' };
  const [fit] = await trainLockstep(ctx, gds, settings, [{ train: TRAIN, dev: DEV, init, l2: L2, rng: new FastStream(SEED, EPOCH_STREAM), score: () => 0.5 }]);
  gds.destroy();
  const { rows } = epochOrder(0, 0);
  const expected = oneStep(init, distributionMseStep(init, { X, cols: D, rows }, targets, 5, 'mean'));
  assertAllClose(fit!.params, expected, TOL, 'relatedness');
  assert.ok(maxAbsDiff(expected, init) > 50 * TOL);
});
