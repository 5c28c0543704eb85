/**
 * How the CPU pool hands lockstep groups to its workers (src/protocol/pool.ts, takeGroup): a whole
 * L2 grid to one worker while other groups wait, but shared among idle workers when the grid is
 * all there is (a split task's four probes on two workers run as two pairs); an in-process pool
 * lets its kernels go with its last dataset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProbePool, takeGroup } from '../../src/protocol/pool.js';
import { wasmLinear } from '../../src/probe/wasm/linear.js';

interface Job {
  readonly fold: number;
  readonly l2: number;
}
const grid = (fold: number): Job[] => [1e-5, 1e-4, 1e-3, 1e-2].map((l2) => ({ fold, l2 }));
const sameFold = (a: Job, b: Job): boolean => a.fold === b.fold;
const folds = (g: readonly Job[]): string => g.map((j) => `${j.fold}:${j.l2}`).join(' ');

test('while other grids are queued, a worker takes a whole grid, however many workers idle', () => {
  const queue = [...grid(0), ...grid(1), ...grid(2)];
  assert.equal(folds(takeGroup(queue, sameFold, 2, 16)), folds(grid(0)));
  assert.equal(folds(takeGroup(queue, sameFold, 2, 16)), folds(grid(1)));
  assert.equal(queue.length, 4);
});

test('the last grid is shared among the idle workers, in order; one idle worker takes it whole', () => {
  const queue = grid(0);
  assert.equal(folds(takeGroup(queue, sameFold, 2, 16)), folds(grid(0).slice(0, 2)));
  assert.equal(folds(queue), folds(grid(0).slice(2)));
  assert.equal(folds(takeGroup(queue, sameFold, 1, 16)), folds(grid(0).slice(2)));
  assert.equal(queue.length, 0);
  const three = grid(1);
  assert.deepEqual([takeGroup(three, sameFold, 3, 16).length, takeGroup(three, sameFold, 2, 16).length, takeGroup(three, sameFold, 1, 16).length], [2, 1, 1]);
  const one = grid(2).slice(0, 1);
  assert.equal(takeGroup(one, sameFold, 8, 16).length, 1);
});

test('a group never exceeds the kernels\u2019 limit', () => {
  const queue = Array.from({ length: 20 }, (_, i) => ({ fold: 0, l2: i }));
  assert.equal(takeGroup(queue, sameFold, 1, 16).length, 16);
  assert.equal(queue.length, 4);
});

test('an in-process pool lets its kernels go when its last dataset is released, as a worker does', async () => {
  const pool = new ProbePool(0);
  const X = new Float32Array(8);
  const a = pool.register({ X, cols: 2 });
  const b = pool.register({ X, cols: 2 });
  const kernels = wasmLinear();
  assert.ok(kernels, 'wasm SIMD kernels available');
  pool.release(a);
  assert.equal(wasmLinear(), kernels, 'kept while a dataset remains');
  pool.release(b);
  assert.notEqual(wasmLinear(), kernels);
  await pool.close();
});
