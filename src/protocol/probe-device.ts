/** The probes' backend for `--device`, as compute/device-policy.ts resolves it (the probes have no CUDA path). */
import { describeDevice, type DeviceChoice } from '../compute/device.js';
import { resolveDevice } from '../compute/device-policy.js';
import { gpuContext, GpuUnavailableError } from '../compute/webgpu.js';
import { UserError } from '../util/errors.js';
import type { ProbeBackend } from './backend.js';
import { createWebGpuProbeBackend } from './gpu-backend.js';
import { probePool } from './pool.js';

/**
 * The probes' backend for a device choice: the CPU worker pool, or the WebGPU trainer (the probes
 * have no CUDA path, so `cuda` goes as `auto`). `gpu` without an adapter is a one-line UserError;
 * `gpu` on a software adapter is honoured and named in `log`.
 */
export async function probeBackendFor(choice: DeviceChoice, log: (m: string) => void): Promise<ProbeBackend> {
  const where = await resolveDevice(choice, { cudaPath: false, what: 'probes train', log });
  if (where === 'cpu') {
    if (choice !== 'cpu') {
      const ctx = await gpuContext();
      if (typeof ctx === 'string') log(`--device ${choice}: ${ctx.split(';')[0]}; probes train on the CPU`);
    }
    return probePool();
  }
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
