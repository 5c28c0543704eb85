/** `--device auto`'s choice (issue 28): never a software adapter; CUDA only once its check passed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAutoDevice } from '../../src/compute/device-policy.js';
import type { GpuAdapterSummary } from '../../src/compute/webgpu.js';

const lavapipe: GpuAdapterSummary = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  software: true,
};
const hardware: GpuAdapterSummary = { vendor: 'nvidia', architecture: 'hopper', device: 'H100', description: 'NVIDIA H100 80GB HBM3', software: false };
const noGpu = 'no GPU: WebGPU found no adapter; install ...';
const noCuda = 'onnxruntime-node has no CUDA provider here';

test('auto: a hardware WebGPU adapter wins for every stage', () => {
  assert.deepEqual(chooseAutoDevice({ webgpu: hardware, cuda: null }, true, 'GenSen encodes'), { device: 'gpu' });
  assert.deepEqual(chooseAutoDevice({ webgpu: hardware }, false, 'probes train'), { device: 'gpu' });
});

test('auto: a software adapter is never picked; one line says so when it is the only adapter', () => {
  for (const [cudaPath, what] of [
    [false, 'probes train'],
    [true, 'GenSen encodes'],
  ] as const) {
    const r = chooseAutoDevice({ webgpu: lavapipe, cuda: noCuda }, cudaPath, what);
    assert.equal(r.device, 'cpu');
    assert.match(
      r.note ?? '',
      new RegExp(`^--device auto: the only WebGPU adapter is mesa llvmpipe: .*a software adapter \\(~100x slower than the CPU path\\): ${what} on the CPU$`),
    );
    assert.doesNotMatch(r.note!, /\n/);
  }
});

test('auto: CUDA only for a stage with a CUDA path, and only when its provider passed the check', () => {
  assert.deepEqual(chooseAutoDevice({ webgpu: noGpu, cuda: null }, true, 'GenSen encodes'), { device: 'cuda' });
  assert.deepEqual(chooseAutoDevice({ webgpu: lavapipe, cuda: null }, true, 'GenSen encodes'), { device: 'cuda' });
  assert.deepEqual(chooseAutoDevice({ webgpu: noGpu, cuda: noCuda }, true, 'GenSen encodes'), { device: 'cpu' });
  assert.deepEqual(chooseAutoDevice({ webgpu: noGpu }, true, 'GenSen encodes'), { device: 'cpu' });
  assert.deepEqual(chooseAutoDevice({ webgpu: noGpu, cuda: null }, false, 'probes train'), { device: 'cpu' });
});
