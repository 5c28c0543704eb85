/**
 * Which hardware ran a stage of a run (encoding, probes), as results record it. `--device`
 * chooses: `cpu`, `gpu` (WebGPU; fails in one line without an adapter), `auto` (the GPU when an
 * adapter exists, else the CPU) or `cuda` (GenSen's GRU on onnxruntime's CUDA execution provider,
 * where the onnxruntime-node install has it; probes then train as under `auto`).
 */
import { cpus } from 'node:os';
import type { GpuAdapterSummary } from './webgpu.js';

export type DeviceChoice = 'cpu' | 'gpu' | 'auto' | 'cuda';
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['cpu', 'gpu', 'auto', 'cuda'];

/** The API a GPU stage ran through: Dawn's WebGPU kernels, or onnxruntime's CUDA provider. */
export type GpuApi = 'webgpu' | 'cuda';

export type DeviceRecord =
  | { readonly kind: 'cpu'; readonly threads: number; readonly model?: string }
  | ({ readonly kind: 'gpu'; readonly api: GpuApi } & GpuAdapterSummary);

export function cpuDevice(threads: number): DeviceRecord {
  const model = cpus()[0]?.model.trim();
  return { kind: 'cpu', threads: Math.max(1, threads), ...(model ? { model } : {}) };
}

export function gpuDevice(a: GpuAdapterSummary, api: GpuApi = 'webgpu'): DeviceRecord {
  return { kind: 'gpu', api, ...a };
}

/** One line for logs and reports: `cpu (2 threads)`, `gpu: mesa llvmpipe … (software)`, `cuda: nvidia …`. */
export function describeDevice(d: DeviceRecord): string {
  if (d.kind === 'cpu') return `cpu (${d.threads} thread${d.threads === 1 ? '' : 's'}${d.model ? `, ${d.model}` : ''})`;
  const what = [d.vendor, d.architecture, d.description || d.device].filter(Boolean).join(' ');
  return `${d.api === 'cuda' ? 'cuda' : 'gpu'}: ${what}${d.software ? ' (software adapter)' : ''}`;
}
