/** Shared by the GPU tests: the adapter gates. Their comparisons are helpers/diff.ts's. */
import type { TestContext } from 'node:test';
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
