/**
 * The probe's forward, backward and optimizer against PyTorch (float32) for a few steps from the
 * same init on the same minibatches (fixture: scripts/reference/probe_reference.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_LABELS, ProbeNet } from '../../src/probe/model.js';
import { makeOptimizer } from '../../src/probe/optim.js';
import { relatednessNet } from '../../src/probe/relatedness.js';
import { WasmLinear } from '../../src/probe/wasm/linear.js';
import { readProbeFixture } from './fixtures.js';

interface Trajectory {
  name: string;
  d: number;
  nclasses: number;
  nhid: number;
  optim: 'adam' | 'rmsprop';
  weightDecay: number;
  reduction: 'mean' | 'sum';
  relatedness: boolean;
  X: number[];
  y?: number[];
  targets?: number[];
  init: number[];
  batches: number[][];
  losses: number[];
  params: number[][];
}

const cases = readProbeFixture<Trajectory[]>('trajectories.json');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const c of cases) {
  const X = Float32Array.from(c.X);
  const engines: [string, WasmLinear | null][] = [['js', null]];
  const simd = WasmLinear.create();
  if (simd) engines.push(['simd', simd]);
  for (const [kind, engine] of engines) {
    test(`${c.name} (${kind}) follows torch for ${c.batches.length} steps`, () => {
      const params = Float64Array.from(c.init);
      const opt = makeOptimizer(c.optim, params.length, c.weightDecay);
      const net = c.relatedness
        ? relatednessNet(params, c.d, Float64Array.from(c.targets!), 5)
        : new ProbeNet({ inputDim: c.d, nhid: c.nhid, nclasses: c.nclasses, dropout: 0 }, params);
      net.useEngine(engine, X, 16);
      const labels = c.relatedness ? NO_LABELS : Int32Array.from(c.y!);
      c.batches.forEach((batch, step) => {
        const rows = Int32Array.from(batch);
        const loss = net.lossAndGrad(X, labels, rows, 0, rows.length, c.reduction);
        const p = net.params;
        opt.step(p, net.grad);
        assert.ok(Math.abs(loss - c.losses[step]!) <= 1e-5 * Math.max(1, Math.abs(c.losses[step]!)), `loss at step ${step}: ${loss} vs ${c.losses[step]}`);
        const diff = maxAbsDiff(p, c.params[step]!);
        assert.ok(diff <= 1e-5, `params after step ${step + 1} differ by ${diff}`);
      });
    });
  }
}

test('the fixture moves the parameters well beyond the tolerance (the comparison can fail)', () => {
  for (const c of cases) assert.ok(maxAbsDiff(c.init, c.params.at(-1)!) > 1e-3, c.name);
});
