/** `--device` for evaluate and encode: the help text and where the probes of a run train. */
import type { DeviceChoice } from '../compute/device.js';
import { probePool } from '../protocol/pool.js';
import type { ProbeBackend } from '../protocol/backend.js';

export const DEVICE_HELP =
  'Where heavy kernels run: cpu (default; the reference numbers), gpu (WebGPU through the optional `webgpu` package: ' +
  'Vulkan, Metal or D3D12; one clear line without an adapter), auto (the GPU when an adapter exists, else the CPU). ' +
  'GenSen encodes on the GPU; results record what ran each stage';

/**
 * The probes' backend for a device choice. Probes train on the CPU worker pool in this version
 * whatever the choice (the WebGPU probe trainer is not part of it yet); `log` says so once when
 * a GPU was asked for, and results record `devices.probes` as the CPU.
 */
export async function probeBackendFor(choice: DeviceChoice, log: (m: string) => void): Promise<ProbeBackend> {
  if (choice !== 'cpu') log(`--device ${choice}: probes train on the CPU (no GPU probe trainer yet); encoding follows --device`);
  return probePool();
}
