/**
 * The GenSen GRU stack on WebGPU (the GPU implementation of GruBackend), float32 throughout.
 *
 * Per physical chunk of sentences: the embedding rows are gathered on the CPU (any vocabulary size
 * and a per-task expanded table work without a table on the GPU, whose 164 MB for the released
 * models exceed software adapters' binding limit), then per layer one tiled GEMM computes both
 * directions' input projections for every step, and one dispatch per time step runs both
 * directions' recurrence with the gates fused. Layer 2 reads [forward; backward] per step. The
 * weights are uploaded once per model; scratch buffers are shared by the models of a device and
 * grow as needed. A call's outputs come back in one readback (several only past READBACK_CAP).
 */
/// <reference types="@webgpu/types" />
import { checked, GpuUnavailableError, requireGpu, type GpuContext } from '../../compute/webgpu.js';
import { gpuDevice, type DeviceRecord } from '../../compute/device.js';
import { UserError } from '../../util/errors.js';
import type { GruBackend, GruBatchOutput, GruRunOptions } from './backend.js';
import type { GensenWeights } from './gru-graph.js';
import {
  FLAG_MAX,
  FLAG_WRITE_Y,
  GEMM_LARGE,
  GEMM_SMALL,
  gemmCols,
  gemmRows,
  gemmShader,
  STEP_LARGE,
  STEP_PARAM_BYTES,
  STEP_SMALL,
  stepRows,
  stepShader,
  stepUnits,
  type GemmTile,
  type StepTile,
} from './gru-wgsl.js';

/** Largest scratch buffer a chunk may use, below the adapter's limits: bounds the memory a batch takes. */
const SCRATCH_CAP = 256 * 2 ** 20;
/** Largest readback staging buffer; a call whose outputs exceed it reads back in several rounds. */
const READBACK_CAP = 256 * 2 ** 20;
/** Chunks of at most this many sentences use the small-batch recurrence tile. */
const SMALL_STEP_MAX_B = 4;
/** GEMMs over fewer rows than this use the small-row tile. */
const SMALL_GEMM_MAX_ROWS = 256;

export interface WebGpuGruOptions {
  /** Test hooks: smaller caps, to exercise batch splitting and readback rounds on small models. */
  readonly scratchCap?: number;
  readonly readbackCap?: number;
}

interface LayerWeights {
  readonly inputSize: number;
  readonly wt: GPUBuffer;
  readonly rt: GPUBuffer;
  readonly bih: GPUBuffer;
  readonly bhh: GPUBuffer;
}

interface Pipelines {
  readonly gemmLayout: GPUBindGroupLayout;
  readonly stepLayout: GPUBindGroupLayout;
  readonly gemm: Map<GemmTile, GPUComputePipeline>;
  readonly step: Map<StepTile, GPUComputePipeline>;
}

/** Scratch buffers and compiled pipelines of one device, shared by every model on it. */
class Workspace {
  private readonly buffers = new Map<string, GPUBuffer>();
  private queue: Promise<unknown> = Promise.resolve();
  readonly pipelines: Pipelines;

  constructor(readonly ctx: GpuContext) {
    const d = ctx.device;
    const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    const gemmLayout = d.createBindGroupLayout({
      entries: [
        storage(0, 'read-only-storage'),
        storage(1, 'read-only-storage'),
        storage(2, 'read-only-storage'),
        storage(3, 'storage'),
        storage(4, 'uniform'),
      ],
    });
    const stepLayout = d.createBindGroupLayout({
      entries: [
        ...[0, 1, 2, 3, 4].map((b) => storage(b, 'read-only-storage')),
        ...[5, 6, 7].map((b) => storage(b, 'storage')),
        { binding: 8, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: STEP_PARAM_BYTES } },
      ],
    });
    this.pipelines = { gemmLayout, stepLayout, gemm: new Map(), step: new Map() };
  }

  gemmPipeline(t: GemmTile): GPUComputePipeline {
    return this.pipeline(this.pipelines.gemm, t, this.pipelines.gemmLayout, () => gemmShader(t));
  }

  stepPipeline(t: StepTile): GPUComputePipeline {
    return this.pipeline(this.pipelines.step, t, this.pipelines.stepLayout, () => stepShader(t));
  }

  /** One compiled pipeline per tile shape, built on first use. */
  private pipeline<K>(cache: Map<K, GPUComputePipeline>, key: K, layout: GPUBindGroupLayout, code: () => string): GPUComputePipeline {
    let p = cache.get(key);
    if (!p) {
      const d = this.ctx.device;
      p = d.createComputePipeline({
        layout: d.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module: d.createShaderModule({ code: code() }), entryPoint: 'main' },
      });
      cache.set(key, p);
    }
    return p;
  }

  /** A scratch buffer of at least `bytes` (grown, never shrunk; contents undefined). */
  buffer(name: string, bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const cur = this.buffers.get(name);
    if (cur && cur.size >= size) return cur;
    cur?.destroy();
    // Grow by half again so a run of slowly growing chunks does not reallocate every time.
    const grown = cur ? Math.min(Math.max(size, Math.ceil((cur.size * 1.5) / 16) * 16), Math.max(size, this.maxBuffer(usage))) : size;
    const b = this.ctx.device.createBuffer({ label: `gensen ${name}`, size: grown, usage });
    this.buffers.set(name, b);
    return b;
  }

  private maxBuffer(usage: GPUBufferUsageFlags): number {
    const l = this.ctx.limits;
    return usage & GPUBufferUsage.STORAGE ? Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize) : l.maxBufferSize;
  }

  /** Runs calls one at a time: the scratch buffers are shared. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}

const workspaces = new WeakMap<GPUDevice, Workspace>();

function workspaceFor(ctx: GpuContext): Workspace {
  let w = workspaces.get(ctx.device);
  if (!w) {
    w = new Workspace(ctx);
    workspaces.set(ctx.device, w);
  }
  return w;
}

function tensor(w: GensenWeights, key: string): Float32Array {
  const t = w.tensors.get(key);
  if (!t) throw new Error(`GenSen weights: missing tensor ${key}`);
  return t.data;
}

/** [3H, k] matrices of both directions → their transpose side by side, [k, 6H]. */
function transposePair(fwd: Float32Array, bwd: Float32Array, rows: number, k: number): Float32Array {
  const out = new Float32Array(k * 2 * rows);
  const m = 2 * rows;
  [fwd, bwd].forEach((src, d) => {
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      const col = d * rows + r;
      for (let c = 0; c < k; c++) out[c * m + col] = src[base + c]!;
    }
  });
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** What one physical chunk of a call computes: sentences [b0, b0 + B) of the call, T steps. */
interface Chunk {
  readonly b0: number;
  readonly B: number;
  readonly T: number;
  /** Byte offset of its outputs in the staging buffer of its readback round. */
  readonly offset: number;
}

export class WebGpuGruRunner implements GruBackend {
  readonly fusedMaxPool = true;
  readonly ownThread = false;
  readonly device: DeviceRecord;
  readonly hidden: number;
  readonly embDim: number;
  private embedding: Float32Array;
  private closed = false;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly ws: Workspace,
    private readonly layers: readonly LayerWeights[],
    w: GensenWeights,
    embedding: Float32Array,
    private readonly scratchCap: number,
    private readonly readbackCap: number,
  ) {
    this.device = gpuDevice(ctx.adapter);
    this.hidden = w.hidden;
    this.embDim = w.embDim;
    this.embedding = WebGpuGruRunner.checkTable(embedding, w.embDim);
  }

  /** Uploads one model's GRU weights (once); fails in one line when there is no usable GPU. */
  static async create(w: GensenWeights, embedding: Float32Array, opts: WebGpuGruOptions = {}): Promise<WebGpuGruRunner> {
    const ctx = await gpuOrUserError();
    const H = w.hidden;
    const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
    return guard(ctx, 'uploading the GenSen weights to the GPU', () => {
      const ws = workspaceFor(ctx);
      const layers: LayerWeights[] = [];
      const upload = (label: string, data: Float32Array): GPUBuffer => {
        if (data.byteLength > limit) {
          throw new UserError(
            `gensen --device gpu: ${label} takes ${(data.byteLength / 2 ** 20).toFixed(0)} MiB, over this GPU's largest storage buffer ` +
              `(${(limit / 2 ** 20).toFixed(0)} MiB); use --device cpu`,
          );
        }
        const b = ctx.device.createBuffer({
          label: `gensen ${label}`,
          size: Math.max(16, data.byteLength),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
        });
        ctx.device.queue.writeBuffer(b, 0, data);
        return b;
      };
      for (let l = 0; l < w.layers; l++) {
        const K = l === 0 ? w.embDim : 2 * H;
        const t = (name: string) => tensor(w, `encoder.${name}_l${l}`);
        const r = (name: string) => tensor(w, `encoder.${name}_l${l}_reverse`);
        if (t('weight_ih').length !== 3 * H * K || t('weight_hh').length !== 3 * H * H) {
          throw new Error(
            `GenSen weights: layer ${l} has ${t('weight_ih').length} and ${t('weight_hh').length} values, expected ${3 * H}x${K} and ${3 * H}x${H}`,
          );
        }
        layers.push({
          inputSize: K,
          wt: upload(`layer ${l} input weights`, transposePair(t('weight_ih'), r('weight_ih'), 3 * H, K)),
          rt: upload(`layer ${l} recurrent weights`, transposePair(t('weight_hh'), r('weight_hh'), 3 * H, H)),
          bih: upload(`layer ${l} input biases`, concat(t('bias_ih'), r('bias_ih'))),
          bhh: upload(`layer ${l} recurrent biases`, concat(t('bias_hh'), r('bias_hh'))),
        });
      }
      // Compile both variants now, so a shader fault shows at start-up, not in the first task.
      for (const tile of [GEMM_LARGE, GEMM_SMALL]) ws.gemmPipeline(tile);
      for (const tile of [STEP_LARGE, STEP_SMALL]) ws.stepPipeline(tile);
      return new WebGpuGruRunner(ctx, ws, layers, w, embedding, Math.min(opts.scratchCap ?? SCRATCH_CAP, limit), opts.readbackCap ?? READBACK_CAP);
    });
  }

  private static checkTable(e: Float32Array, dim: number): Float32Array {
    if (e.length % dim !== 0) throw new Error(`embedding of ${e.length} values is not a multiple of ${dim}`);
    return e;
  }

  setEmbedding(e: Float32Array): void {
    this.embedding = WebGpuGruRunner.checkTable(e, this.embDim);
  }

  get vocabRows(): number {
    return this.embedding.length / this.embDim;
  }

  /** Sentences per physical chunk for T steps: every scratch buffer within the cap and the dispatch limits. */
  private chunkSentences(T: number): number {
    const H = this.hidden;
    const perSentence = 4 * T * Math.max(6 * H, this.embDim, 2 * H);
    const byMemory = Math.floor(this.scratchCap / perSentence);
    const maxGroups = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    const byGemm = Math.floor((maxGroups * gemmRows(GEMM_SMALL)) / T);
    const bySteps = maxGroups * stepRows(STEP_SMALL);
    const n = Math.min(byMemory, byGemm, bySteps);
    if (n < 1) {
      throw new UserError(
        `gensen --device gpu: a sentence of ${T - 2} tokens needs ${((perSentence / 2 ** 20) | 0) + 1} MiB per GPU buffer, ` +
          `over the ${(this.scratchCap / 2 ** 20).toFixed(0)} MiB this adapter allows; use --device cpu`,
      );
    }
    return n;
  }

  async run(ids: BigInt64Array, lens: Int32Array, T: number, opts: GruRunOptions): Promise<GruBatchOutput> {
    if (this.closed) throw new Error('WebGpuGruRunner: run after close');
    const B = lens.length;
    const H = this.hidden;
    if (ids.length !== T * B) throw new Error(`GRU input: ${ids.length} ids for T=${T}, B=${B}`);
    for (let b = 0; b < B; b++) if (!(lens[b]! >= 1 && lens[b]! <= T)) throw new Error(`GRU input: sentence ${b} has length ${lens[b]} (T=${T})`);
    const maxPool = !!opts.maxPool;
    const finals = new Float32Array(2 * B * H);
    const maxima = maxPool ? new Float32Array(2 * B * H) : undefined;
    const steps = opts.sequence ? new Float32Array(T * 2 * B * H) : undefined;

    // Chunks of consecutive sentences, each padded to its own longest, grouped into readback rounds.
    const per = this.chunkSentences(T);
    const rounds: Chunk[][] = [];
    let round: Chunk[] = [];
    let used = 0;
    for (let b0 = 0; b0 < B; b0 += per) {
      const n = Math.min(per, B - b0);
      let t = 1;
      for (let b = b0; b < b0 + n; b++) t = Math.max(t, lens[b]!);
      const bytes = this.outputBytes(n, t, opts.sequence, maxPool);
      if (round.length > 0 && used + bytes > this.readbackCap) {
        rounds.push(round);
        round = [];
        used = 0;
      }
      round.push({ b0, B: n, T: t, offset: used });
      used += bytes;
    }
    rounds.push(round);

    await this.ws.exclusive(() =>
      guard(this.ctx, 'GenSen GRU on the GPU', async () => {
        for (const r of rounds) {
          const last = r[r.length - 1]!;
          const total = last.offset + this.outputBytes(last.B, last.T, opts.sequence, maxPool);
          const staging = this.ws.buffer('staging', total, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
          for (const c of r) this.submitChunk(c, ids, lens, B, opts.sequence, maxPool, staging);
          await staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(total / 16) * 16);
          try {
            const view = new Float32Array(staging.getMappedRange(0, Math.ceil(total / 16) * 16));
            for (const c of r) this.scatter(view, c, B, finals, maxima, steps);
          } finally {
            staging.unmap();
          }
        }
      }),
    );
    return { T, B, H, finals, ...(steps ? { steps } : {}), ...(maxima ? { maxima } : {}) };
  }

  /** Bytes a chunk reads back: finals, then maxima, then steps [T, 2, B, H]. */
  private outputBytes(B: number, T: number, sequence: boolean, maxPool: boolean): number {
    const state = 2 * B * this.hidden * 4;
    return state * (1 + (maxPool ? 1 : 0) + (sequence ? T : 0));
  }

  /** Copies a chunk's outputs from the mapped staging buffer into the call's arrays. */
  private scatter(view: Float32Array, c: Chunk, B: number, finals: Float32Array, maxima?: Float32Array, steps?: Float32Array): void {
    const H = this.hidden;
    const n = c.B * H;
    let o = c.offset / 4;
    const states = (dest: Float32Array) => {
      for (let d = 0; d < 2; d++) dest.set(view.subarray(o + d * n, o + (d + 1) * n), (d * B + c.b0) * H);
      o += 2 * n;
    };
    states(finals);
    if (maxima) states(maxima);
    if (steps) {
      for (let t = 0; t < c.T; t++) {
        for (let d = 0; d < 2; d++) {
          steps.set(view.subarray(o, o + n), ((t * 2 + d) * B + c.b0) * H);
          o += n;
        }
      }
    }
  }

  /** Uploads a chunk's inputs and queues its whole computation and the copy of its outputs. */
  private submitChunk(c: Chunk, ids: BigInt64Array, lens: Int32Array, callB: number, sequence: boolean, maxPool: boolean, staging: GPUBuffer): void {
    const { device } = this.ctx;
    const { B, T, b0 } = c;
    const H = this.hidden;
    const E = this.embDim;
    const L = this.layers.length;
    const ws = this.ws;
    const S = GPUBufferUsage.STORAGE;
    const D = GPUBufferUsage.COPY_DST;
    const align = device.limits.minUniformBufferOffsetAlignment;

    // The embedding gather, on the CPU; rows past a sentence's end stay zero (never read).
    const x0 = new Float32Array(T * B * E);
    const clens = new Uint32Array(B);
    const rows = this.vocabRows;
    const emb = this.embedding;
    for (let b = 0; b < B; b++) {
      const len = lens[b0 + b]!;
      clens[b] = len;
      for (let t = 0; t < len; t++) {
        const id = Number(ids[t * callB + b0 + b]!);
        if (!(id >= 0 && id < rows)) throw new Error(`GRU input: id ${id} outside the embedding table of ${rows} rows`);
        x0.set(emb.subarray(id * E, id * E + E), (t * B + b) * E);
      }
    }
    const useY = L > 1 || sequence;
    const stateBytes = 2 * B * H * 4;
    const xBuf = ws.buffer('x0', x0.byteLength, S | D);
    const gBuf = ws.buffer('g', T * B * 6 * H * 4, S);
    const yBuf = ws.buffer('y', useY ? T * B * 2 * H * 4 : 16, S | D | GPUBufferUsage.COPY_SRC);
    const hA = ws.buffer('hA', stateBytes, S | D | GPUBufferUsage.COPY_SRC);
    const hB = ws.buffer('hB', stateBytes, S | D | GPUBufferUsage.COPY_SRC);
    const mxBuf = ws.buffer('max', stateBytes, S | GPUBufferUsage.COPY_SRC);
    const lensBuf = ws.buffer('lens', clens.byteLength, S | D);
    const gemmParams = ws.buffer('gemmParams', L * align, GPUBufferUsage.UNIFORM | D);
    const stepParams = ws.buffer('stepParams', L * T * align, GPUBufferUsage.UNIFORM | D);
    device.queue.writeBuffer(xBuf, 0, x0);
    device.queue.writeBuffer(lensBuf, 0, clens);

    const gp = new Uint32Array((L * align) / 4);
    const sp = new Uint32Array((L * T * align) / 4);
    for (let l = 0; l < L; l++) {
      gp.set([T * B, this.layers[l]!.inputSize, 6 * H, 0], (l * align) / 4);
      const top = l === L - 1;
      // Lower layers write [T, B, 2H] (the next layer's input rows); the top one [T, 2, B, H].
      const [sP, sD, sB] = top ? [2 * B * H, B * H, H] : [2 * B * H, H, 2 * H];
      const flags = (top ? (sequence ? FLAG_WRITE_Y : 0) | (maxPool ? FLAG_MAX : 0) : FLAG_WRITE_Y) >>> 0;
      for (let s = 0; s < T; s++) sp.set([s, B, H, T, sP, sD, sB, flags], ((l * T + s) * align) / 4);
    }
    device.queue.writeBuffer(gemmParams, 0, gp);
    device.queue.writeBuffer(stepParams, 0, sp);

    const gemmTile = T * B < SMALL_GEMM_MAX_ROWS ? GEMM_SMALL : GEMM_LARGE;
    const stepTile = B <= SMALL_STEP_MAX_B ? STEP_SMALL : STEP_LARGE;
    const gemmPipe = ws.gemmPipeline(gemmTile);
    const stepPipe = ws.stepPipeline(stepTile);
    const { gemmLayout, stepLayout } = ws.pipelines;
    const enc = device.createCommandEncoder({ label: 'gensen gru chunk' });
    if (useY) enc.clearBuffer(yBuf, 0, T * B * 2 * H * 4);
    for (let l = 0; l < L; l++) {
      const lw = this.layers[l]!;
      const top = l === L - 1;
      // The top layer's steps must be zero past each sentence's end, in their own layout.
      if (l > 0 && sequence && top) {
        const pass0 = enc.beginComputePass();
        this.gemm(pass0, gemmPipe, gemmLayout, gemmTile, yBuf, lw, gBuf, gemmParams, l, align, T * B);
        pass0.end();
        enc.clearBuffer(yBuf, 0, T * B * 2 * H * 4);
      }
      enc.clearBuffer(hA, 0, stateBytes);
      const pass = enc.beginComputePass();
      if (!(l > 0 && sequence && top)) this.gemm(pass, gemmPipe, gemmLayout, gemmTile, l === 0 ? xBuf : yBuf, lw, gBuf, gemmParams, l, align, T * B);
      const groups = (prev: GPUBuffer, next: GPUBuffer): GPUBindGroup =>
        device.createBindGroup({
          layout: stepLayout,
          entries: [
            { binding: 0, resource: { buffer: gBuf, size: T * B * 6 * H * 4 } },
            { binding: 1, resource: { buffer: lw.rt } },
            { binding: 2, resource: { buffer: lw.bhh } },
            { binding: 3, resource: { buffer: lensBuf } },
            { binding: 4, resource: { buffer: prev, size: stateBytes } },
            { binding: 5, resource: { buffer: next, size: stateBytes } },
            { binding: 6, resource: { buffer: yBuf } },
            { binding: 7, resource: { buffer: mxBuf, size: stateBytes } },
            { binding: 8, resource: { buffer: stepParams, size: STEP_PARAM_BYTES } },
          ],
        });
      const even = groups(hA, hB);
      const odd = groups(hB, hA);
      pass.setPipeline(stepPipe);
      const gx = Math.ceil(H / stepUnits(stepTile));
      const gy = Math.ceil(B / stepRows(stepTile));
      for (let s = 0; s < T; s++) {
        pass.setBindGroup(0, s % 2 === 0 ? even : odd, [(l * T + s) * align]);
        pass.dispatchWorkgroups(gx, gy, 2);
      }
      pass.end();
    }
    const final = T % 2 === 0 ? hA : hB;
    let o = c.offset;
    enc.copyBufferToBuffer(final, 0, staging, o, stateBytes);
    o += stateBytes;
    if (maxPool) {
      enc.copyBufferToBuffer(mxBuf, 0, staging, o, stateBytes);
      o += stateBytes;
    }
    if (sequence) enc.copyBufferToBuffer(yBuf, 0, staging, o, T * B * 2 * H * 4);
    device.queue.submit([enc.finish()]);
  }

  private gemm(
    pass: GPUComputePassEncoder,
    pipe: GPUComputePipeline,
    layout: GPUBindGroupLayout,
    tile: GemmTile,
    x: GPUBuffer,
    lw: LayerWeights,
    g: GPUBuffer,
    params: GPUBuffer,
    layer: number,
    align: number,
    rows: number,
  ): void {
    const H = this.hidden;
    const bg = this.ctx.device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: x, size: rows * lw.inputSize * 4 } },
        { binding: 1, resource: { buffer: lw.wt } },
        { binding: 2, resource: { buffer: lw.bih } },
        { binding: 3, resource: { buffer: g, size: rows * 6 * H * 4 } },
        { binding: 4, resource: { buffer: params, offset: layer * align, size: 16 } },
      ],
    });
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(Math.ceil((6 * H) / gemmCols(tile)), Math.ceil(rows / gemmRows(tile)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.layers) for (const b of [l.wt, l.rt, l.bih, l.bhh]) b.destroy();
  }
}

/** The shared device, or a UserError with the one line saying why there is none. */
async function gpuOrUserError(): Promise<GpuContext> {
  try {
    return await requireGpu();
  } catch (e) {
    if (e instanceof GpuUnavailableError) throw new UserError(`gensen --device gpu: ${e.message}`);
    throw e;
  }
}

/** checked(), with a lost device or an out-of-memory error as a one-line UserError naming the encoder. */
async function guard<T>(ctx: GpuContext, what: string, scope: () => T | Promise<T>): Promise<T> {
  try {
    return await checked(ctx, what, scope);
  } catch (e) {
    if (e instanceof GpuUnavailableError) throw new UserError(`gensen --device gpu: ${e.message}`);
    if (ctx.lostReason && !(e instanceof UserError)) throw new UserError(`gensen --device gpu: ${what}: ${ctx.lostReason}`);
    throw e;
  }
}
