/**
 * The one module that imports the `webgpu` package (Dawn's Node binding): every GPU kernel of the
 * harness gets its device here, so adapter choice, limits and the "no GPU" message live in one
 * place, as compute/onnxruntime.ts does for onnxruntime. The package is an optional dependency and
 * is loaded lazily: a CPU-only run never touches it.
 *
 * WebGPU reaches NVIDIA/AMD/Intel GPUs through Vulkan, Apple GPUs through Metal and Windows GPUs
 * through D3D12, with no CUDA toolkit; in CI it runs on Mesa's lavapipe (Vulkan on the CPU).
 */
/// <reference types="@webgpu/types" />
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What results record of the device that ran a stage. */
export interface GpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Whether the adapter is a CPU implementation (lavapipe, SwiftShader): correct, not fast. */
  readonly software: boolean;
}

/** The limits the kernels split their work by (the device is created with the adapter's maxima). */
const LIMIT_KEYS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
] as const;

export type GpuLimits = { readonly [K in (typeof LIMIT_KEYS)[number]]: number };

function pickLimits(l: GPUSupportedLimits): GpuLimits {
  return Object.fromEntries(LIMIT_KEYS.map((k) => [k, l[k]])) as unknown as GpuLimits;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GpuAdapterSummary;
  readonly limits: GpuLimits;
  /** Set once the device is lost (the message says why); kernels check it before each submit. */
  lostReason: string | null;
}

/** Thrown (as a one-line user-facing fault) when no adapter exists or the device is lost. */
export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
}

const INSTALL_HINT =
  'install the optional npm package `webgpu` (Dawn) and a Vulkan/Metal/D3D12 driver; on Debian bookworm: ' +
  "apt-get install -t bookworm-backports mesa-vulkan-drivers (lavapipe, a CPU Vulkan) or the GPU vendor's driver";

type Loaded = { create: (o: string[]) => GPU; globals: Record<string, unknown> };
let loaded: Promise<Loaded | string> | null = null;

function loadPackage(): Promise<Loaded | string> {
  loaded ??= (async () => {
    // Dawn's Vulkan loader warns on every start when XDG_RUNTIME_DIR is unset or unwritable.
    if (!process.env['XDG_RUNTIME_DIR']) {
      const dir = join(tmpdir(), `gensen-eval-xdg-${process.getuid?.() ?? 0}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      process.env['XDG_RUNTIME_DIR'] = dir;
    }
    try {
      const m = (await import('webgpu')) as unknown as Loaded;
      Object.assign(globalThis, m.globals);
      return m;
    } catch (e) {
      return `the npm package \`webgpu\` could not be loaded (${(e as Error).message.split('\n')[0]})`;
    }
  })();
  return loaded;
}

function summarise(info: GPUAdapterInfo): GpuAdapterSummary {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: /llvmpipe|lavapipe|swiftshader|software/.test(text),
  };
}

let shared: Promise<GpuContext | string> | null = null;
/**
 * Dawn's instance must outlive its devices: once the `GPU` object is garbage-collected, the next
 * asynchronous call (getCompilationInfo, mapAsync) crashes the process (a segfault, or
 * `std::system_error` under --expose-gc). Held here for the life of the process.
 */
let instance: GPU | null = null;

/**
 * The process's GPU device (created once, with the adapter's largest buffer limits), or a
 * one-line reason why there is none. `high-performance` is asked for so a laptop's discrete GPU
 * wins over its integrated one.
 */
export function gpuContext(): Promise<GpuContext | string> {
  shared ??= (async () => {
    const m = await loadPackage();
    if (typeof m === 'string') return `no GPU: ${m}; ${INSTALL_HINT}`;
    instance ??= m.create([]);
    const gpu = instance;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return `no GPU: WebGPU found no adapter; ${INSTALL_HINT}`;
    const device = await adapter.requestDevice({ requiredLimits: { ...pickLimits(adapter.limits) } });
    const ctx: GpuContext = {
      device,
      adapter: summarise(adapter.info),
      limits: pickLimits(device.limits),
      lostReason: null,
    };
    void device.lost.then((l) => {
      ctx.lostReason = `the GPU device was lost (${l.reason}: ${l.message || 'no message'})`;
      shared = null;
    });
    return ctx;
  })();
  return shared;
}

/** The device, or a GpuUnavailableError naming the package and driver to install. */
export async function requireGpu(): Promise<GpuContext> {
  const c = await gpuContext();
  if (typeof c === 'string') throw new GpuUnavailableError(c);
  if (c.lostReason) throw new GpuUnavailableError(c.lostReason);
  return c;
}

/** Fails with one line when the device was lost or a validation/OOM error was raised in `scope`. */
export async function checked<T>(ctx: GpuContext, what: string, scope: () => T | Promise<T>): Promise<T> {
  if (ctx.lostReason) throw new GpuUnavailableError(ctx.lostReason);
  ctx.device.pushErrorScope('out-of-memory');
  ctx.device.pushErrorScope('validation');
  let value: T;
  try {
    value = await scope();
  } finally {
    const validation = await ctx.device.popErrorScope();
    const oom = await ctx.device.popErrorScope();
    // biome-ignore lint/correctness/noUnsafeFinally: a lost or invalid GPU scope is the cause of whatever the scope threw, so it replaces that error
    if (oom) throw new GpuUnavailableError(`${what}: the GPU ran out of memory (${oom.message.split('\n')[0]})`);
    // biome-ignore lint/correctness/noUnsafeFinally: as above
    if (validation) throw new Error(`${what}: WebGPU validation error: ${validation.message.split('\n')[0]}`);
  }
  return value;
}
