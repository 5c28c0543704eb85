/**
 * Where each stage of a run computes, decided in one place for encoders and probes alike (the
 * library exports `resolveDevice`; protocol/probe-device.ts turns its answer into the probes'
 * backend). `--device` is a wish; this module says what it resolves to on this machine and why:
 * - `cpu`: the CPU (the reference numbers).
 * - `gpu`: WebGPU; one line without an adapter. A software adapter (lavapipe) is used, since it
 *   was asked for, and named in the log: it is correct but ~100× slower than the CPU path.
 * - `auto`: never a software adapter. A hardware WebGPU adapter first, then onnxruntime's CUDA
 *   provider for stages that have a CUDA path (GenSen's GRU) and only once its check passed
 *   (compute/ort-cuda.ts), else the CPU, with one line saying why when a GPU was passed over.
 * - `cuda`: onnxruntime's CUDA provider where a stage has one; stages without it (the probes) go
 *   as under `auto`.
 */
import type { DeviceChoice } from './device.js';
import { cudaProviderProblem } from './ort-cuda.js';
import { gpuContext, type GpuAdapterSummary } from './webgpu.js';

export const DEVICE_HELP =
  'Where heavy kernels run: cpu (default; the reference numbers), gpu (WebGPU through the optional `webgpu` package: ' +
  'Vulkan, Metal or D3D12; one clear line without an adapter), auto (a hardware WebGPU adapter, else CUDA where its provider ' +
  'passes a check and the stage has a CUDA path, else the CPU; never a software adapter such as lavapipe), ' +
  "cuda (GenSen's GRU on onnxruntime's CUDA provider, where onnxruntime-node was installed with it; probes as under auto). " +
  'GenSen encodes and probes train there; results record what ran each stage';

/** What a stage runs on: the CPU, WebGPU, or onnxruntime's CUDA provider. */
export type ResolvedDevice = 'cpu' | 'gpu' | 'cuda';

/** What this machine offers, as far as `auto` needs to know. */
export interface DeviceAvailability {
  /** The WebGPU adapter, or the one-line reason there is none. */
  readonly webgpu: GpuAdapterSummary | string;
  /** Null when the CUDA provider passed its check, else why not; absent when not checked. */
  readonly cuda?: string | null;
}

/**
 * `auto`'s decision for a stage (`what` names it in the note), pure so it can be tested on any
 * machine. `cudaPath`: the stage can run on onnxruntime's CUDA provider.
 */
export function chooseAutoDevice(available: DeviceAvailability, cudaPath: boolean, what: string): { device: ResolvedDevice; note?: string } {
  const w = available.webgpu;
  if (typeof w !== 'string' && !w.software) return { device: 'gpu' };
  if (cudaPath && available.cuda === null) return { device: 'cuda' };
  if (typeof w === 'string') return { device: 'cpu' };
  const name = [w.vendor, w.description || w.device].filter(Boolean).join(' ') || 'a software renderer';
  return {
    device: 'cpu',
    note: `--device auto: the only WebGPU adapter is ${name}, a software adapter (~100x slower than the CPU path): ${what} on the CPU`,
  };
}

/**
 * Resolves `choice` for a stage. `gpu` and `cuda` are returned as asked (their runners fail in one
 * line where they cannot run); `auto` asks WebGPU for an adapter and, only when that finds no
 * hardware one and the stage has a CUDA path, runs the CUDA provider's check.
 */
export async function resolveDevice(
  choice: DeviceChoice,
  stage: { readonly cudaPath: boolean; readonly what: string; readonly log?: (m: string) => void },
): Promise<ResolvedDevice> {
  if (choice === 'cpu' || choice === 'gpu') return choice;
  if (choice === 'cuda' && stage.cudaPath) return 'cuda';
  const ctx = await gpuContext();
  const webgpu = typeof ctx === 'string' ? ctx : ctx.adapter;
  const hardware = typeof webgpu !== 'string' && !webgpu.software;
  const cuda = !hardware && stage.cudaPath ? await cudaProviderProblem() : undefined;
  const { device, note } = chooseAutoDevice({ webgpu, ...(cuda !== undefined ? { cuda } : {}) }, stage.cudaPath, stage.what);
  if (note) stage.log?.(note);
  return device;
}
