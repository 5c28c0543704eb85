/** Shared by the GPU tests: the adapter gate and the parity measure. */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { gpuContext } from '../../src/compute/webgpu.js';
import { cudaProviderProblem } from '../../src/compute/ort-cuda.js';

/**
 * Skips (naming the `webgpu` package) without an adapter. CI, and scripts/gpu-check on a
 * machine with a GPU (GENSEN_EVAL_REQUIRE_GPU=1), must not pass by skipping: there it fails.
 */
export async function needGpu(t: TestContext): Promise<boolean> {
  const c = await gpuContext();
  if (typeof c !== 'string') return true;
  if (process.env.CI === 'true' || process.env.GENSEN_EVAL_REQUIRE_GPU === '1') throw new Error(c);
  t.skip(c);
  return false;
}

/**
 * Skips (with the one line `--device cuda` would print) where onnxruntime's CUDA provider cannot
 * run: CI installs onnxruntime-node without it, so there these tests skip. On a CUDA machine
 * GENSEN_EVAL_REQUIRE_CUDA=1 makes a missing provider fail instead.
 */
export async function needCuda(t: TestContext): Promise<boolean> {
  const problem = await cudaProviderProblem();
  if (problem === null) return true;
  if (process.env.GENSEN_EVAL_REQUIRE_CUDA === '1') throw new Error(problem);
  t.skip(problem);
  return false;
}

/** Largest |a − b| over two equally long arrays; a NaN difference is returned, never hidden. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    if (!(x <= d)) d = x;
  }
  return d;
}
