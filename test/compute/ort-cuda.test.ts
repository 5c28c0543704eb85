/**
 * The pieces of the CUDA check that need no GPU: the one-line reason drawn from onnxruntime's
 * failure text, the GPU record read from the NVIDIA driver's /proc files, and the float32 pin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaAdapterSummary, cudaFailureReason, cudaTf32Allowed, pinCudaFloat32 } from '../../src/compute/ort-cuda.js';
import { describeDevice, gpuDevice } from '../../src/compute/device.js';
import { repoRoot } from '../helpers/data.js';

test("cuda: the reason is the library the loader could not open, the CUDA error, or the message without ORT's source location", () => {
  // onnxruntime-node 1.30's stderr and message when the provider files are absent (recorded here).
  const absent =
    '\u001b[1;31m2026-12-02 17:03:24.226143525 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 ' +
    'onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /x/libonnxruntime_providers_shared.so with error: ' +
    '/x/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory\n\u001b[m\nOrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
  assert.equal(
    cudaFailureReason(absent),
    '/x/libonnxruntime_providers_shared.so could not be loaded: /x/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory',
  );
  // The form of CUDA_CALL_THROW's message where there is no GPU.
  const noGpu =
    '/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:129 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(...) [ONNXRuntimeError] : 1 : FAIL : ' +
    'CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ; hostname=h ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=282 ; expr=cudaSetDevice(info_.device_id);';
  assert.equal(cudaFailureReason(noGpu), 'CUDA error 100: no CUDA-capable device is detected');
  assert.equal(
    cudaFailureReason('[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running GRU node.\n'),
    'Non-zero status code returned while running GRU node.',
  );
  assert.equal(cudaFailureReason(''), 'no message');
  assert.ok(cudaFailureReason('x'.repeat(1000)).length <= 301);
});

test('cuda: the record names the GPU model and driver from /proc/driver/nvidia; absent files leave them blank', (t) => {
  const h200 = cudaAdapterSummary(0, join(repoRoot(), 'test', 'fixtures', 'cuda', 'proc-h200'));
  assert.deepEqual(h200, {
    vendor: 'nvidia',
    architecture: '',
    device: 'NVIDIA H200',
    description: 'NVIDIA H200, CUDA device 0, driver 550.54.15',
    software: false,
  });
  assert.equal(describeDevice(gpuDevice(h200, 'cuda')), 'cuda: nvidia NVIDIA H200, CUDA device 0, driver 550.54.15');
  const none = cudaAdapterSummary(1, join(tmpdir(), 'no-such-nvidia-proc'));
  assert.deepEqual(none, { vendor: 'nvidia', architecture: '', device: '', description: 'CUDA device 1', software: false });
  // Two models, proprietary module's version line: which one is device 1 is not knowable here.
  const dir = mkdtempSync(join(tmpdir(), 'gensen-nvidia-proc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'version'), 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024\n');
  for (const [bus, model] of [
    ['0000-3b-00.0', 'NVIDIA A100-SXM4-80GB'],
    ['0000-86-00.0', 'NVIDIA L4'],
  ]) {
    mkdirSync(join(dir, 'gpus', bus!), { recursive: true });
    writeFileSync(join(dir, 'gpus', bus!, 'information'), `Model: \t\t ${model}\nIRQ:   \t\t 50\n`);
  }
  const two = cudaAdapterSummary(1, dir);
  assert.equal(two.device, 'NVIDIA A100-SXM4-80GB / NVIDIA L4');
  assert.equal(two.description, 'NVIDIA A100-SXM4-80GB / NVIDIA L4, CUDA device 1, driver 535.183.01');
});

test('cuda: float32 is pinned (NVIDIA_TF32_OVERRIDE=0) unless the user exported the variable', (t) => {
  const saved = process.env.NVIDIA_TF32_OVERRIDE;
  t.after(() => {
    if (saved === undefined) delete process.env.NVIDIA_TF32_OVERRIDE;
    else process.env.NVIDIA_TF32_OVERRIDE = saved;
  });
  delete process.env.NVIDIA_TF32_OVERRIDE;
  assert.equal(cudaTf32Allowed(), false);
  pinCudaFloat32();
  assert.equal(cudaTf32Allowed(), false);
  assert.equal(process.env.NVIDIA_TF32_OVERRIDE, '0');
  process.env.NVIDIA_TF32_OVERRIDE = '1';
  pinCudaFloat32();
  assert.equal(cudaTf32Allowed(), true);
  assert.equal(process.env.NVIDIA_TF32_OVERRIDE, '1');
});
