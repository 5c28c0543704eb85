/**
 * Which hardware ran a stage of a run (encoding, probes), as results record it. `--device`
 * chooses: `cpu`, `gpu` (WebGPU; fails in one line without an adapter), or `auto` (the GPU when an
 * adapter exists, else the CPU).
 */
import { cpus } from 'node:os';
import type { GpuAdapterSummary } from './webgpu.js';

export type DeviceChoice = 'cpu' | 'gpu' | 'auto';
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['cpu', 'gpu', 'auto'];

export type DeviceRecord =
  | { readonly kind: 'cpu'; readonly threads: number; readonly model?: string }
  | ({ readonly kind: 'gpu'; readonly api: 'webgpu' } & GpuAdapterSummary);

export function cpuDevice(threads: number): DeviceRecord {
  const model = cpus()[0]?.model.trim();
  return { kind: 'cpu', threads: Math.max(1, threads), ...(model ? { model } : {}) };
}

export function gpuDevice(a: GpuAdapterSummary): DeviceRecord {
  return { kind: 'gpu', api: 'webgpu', ...a };
}

/** One line for logs and reports: `cpu (2 threads)` or `gpu: mesa llvmpipe … (software)`. */
export function describeDevice(d: DeviceRecord): string {
  if (d.kind === 'cpu') return `cpu (${d.threads} thread${d.threads === 1 ? '' : 's'}${d.model ? `, ${d.model}` : ''})`;
  return `gpu: ${[d.vendor, d.architecture, d.description || d.device].filter(Boolean).join(' ')}${d.software ? ' (software adapter)' : ''}`;
}
