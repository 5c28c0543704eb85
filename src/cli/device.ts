/** `--device` for evaluate and encode: the help text and where the probes of a run train. */
import type { DeviceChoice } from '../compute/device.js';
import { describeDevice } from '../compute/device.js';
import { GpuUnavailableError } from '../compute/webgpu.js';
import { probePool } from '../protocol/pool.js';
import type { ProbeBackend } from '../protocol/backend.js';
import { createWebGpuProbeBackend } from '../protocol/gpu-backend.js';
import { UserError } from '../util/errors.js';

export const DEVICE_HELP =
  'Where heavy kernels run: cpu (default; the reference numbers), gpu (WebGPU through the optional `webgpu` package: ' +
  'Vulkan, Metal or D3D12; one clear line without an adapter), auto (the GPU when an adapter exists, else the CPU), ' +
  "cuda (GenSen's GRU on onnxruntime's CUDA provider, where onnxruntime-node was installed with it; probes as under auto). " +
  'GenSen encodes and probes train there; results record what ran each stage';

/**
 * The probes' backend for a device choice: the CPU worker pool, or the WebGPU trainer. `auto`
 * falls back to the CPU (and says why in `log`) when there is no adapter; `gpu` without one is a
 * one-line UserError. A software adapter (lavapipe) is used but named in the log: it is correct,
 * and far slower than the CPU pool. `cuda` is an encoder choice (onnxruntime has no probe trainer):
 * its probes train as under `auto`.
 */
export async function probeBackendFor(choice: DeviceChoice, log: (m: string) => void): Promise<ProbeBackend> {
  if (choice === 'cpu') return probePool();
  try {
    const b = await createWebGpuProbeBackend();
    if (b.device.kind === 'gpu' && b.device.software) log(`--device ${choice}: probes train on ${describeDevice(b.device)}, which is slower than the CPU`);
    return b;
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    if (choice === 'gpu') throw new UserError(`--device gpu: ${e.message}`);
    log(`--device ${choice}: ${e.message.split(';')[0]}; probes train on the CPU`);
    return probePool();
  }
}

/** Frees a backend `probeBackendFor` created (the shared CPU pool stays for later runs). */
export async function closeProbeBackend(b: ProbeBackend): Promise<void> {
  if (b !== probePool()) await b.close();
}
