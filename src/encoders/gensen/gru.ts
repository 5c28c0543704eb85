/**
 * Runs a GenSen encoder's bidirectional GRU stack on onnxruntime (sessions from compute/onnxruntime.ts):
 * the CPU implementation of GruBackend, and with `provider: 'cuda'` the CUDA one. The graph comes
 * from gru-graph.ts; the only difference between the two is where the embedding table lives.
 */
import { cpuDevice, gpuDevice, type DeviceRecord } from '../../compute/device.js';
import { cudaAdapterSummary, CudaUnavailableError } from '../../compute/ort-cuda.js';
import { UserError } from '../../util/errors.js';
import {
  createSession,
  DEFAULT_INTRA_OP_THREADS,
  float32Tensor,
  int32Tensor,
  int64Tensor,
  runSession,
  type OrtSession,
  type OrtTensor,
  type SessionTuning,
} from '../../compute/onnxruntime.js';
import { buildGensenOnnx, GRAPH_INPUT_EMB, GRAPH_INPUT_IDS, GRAPH_INPUT_LENS, GRAPH_OUTPUT_Y, GRAPH_OUTPUT_YH, type GensenWeights } from './gru-graph.js';

import type { GruBackend, GruBatchOutput, GruRunOptions } from './backend.js';

export type { GruBackend, GruBatchOutput, GruRunOptions } from './backend.js';
export type { SessionTuning } from '../../compute/onnxruntime.js';

/**
 * Where the table lives. `input` (the CPU default): fed on every run, which on the CPU costs
 * nothing and lets a task's expanded vocabulary swap in without a rebuild. `baked` (the CUDA
 * default): an initialiser, copied to the device once per table instead of once per batch (80,004
 * × 512 floats are 164 MB); the sessions are rebuilt at the first batch after a swap.
 */
export type EmbeddingPlacement = 'input' | 'baked';

/** The two graphs: the final states only (`last` pooling), or also every step's output. */
export type GruGraphKind = 'finals' | 'steps';

/** CPU graphs already serialised by buildGensenOnnx (`input` placement), used instead of building them from the weights. */
export type PrebuiltGruGraphs = Partial<Record<GruGraphKind, Uint8Array>>;

/** `e`, if it is a whole number of rows of `dim` floats. */
export function checkedTable(e: Float32Array, dim: number): Float32Array {
  if (e.length % dim !== 0) throw new Error(`embedding of ${e.length} values is not a multiple of ${dim}`);
  return e;
}

export class GruRunner implements GruBackend {
  /** Max pooling reads the steps (pooling.ts), as it always has on the CPU. */
  readonly fusedMaxPool = false;
  readonly ownThread = false;
  private readonly sessions = new Map<GruGraphKind, OrtSession>();
  /** Serialised graphs not yet made sessions (each dropped once used, so its bytes can go). */
  private prebuilt: PrebuiltGruGraphs = {};
  /** Sessions over a table that has since been replaced, released before the next build. */
  private stale: OrtSession[] = [];
  private table: Float32Array;
  private embedding: OrtTensor | null;

  private constructor(
    private readonly weights: GensenWeights,
    table: Float32Array,
    private readonly tuning: SessionTuning,
    readonly placement: EmbeddingPlacement,
    readonly device: DeviceRecord,
  ) {
    this.table = table;
    this.embedding = placement === 'input' ? GruRunner.embTensor(table, weights.embDim) : null;
  }

  /**
   * `prebuilt` (CPU, `input` placement): the graphs as buildGensenOnnx serialised them elsewhere
   * (gru-thread.ts builds them on the main thread), so `w` needs only its shape fields.
   */
  static async create(
    w: GensenWeights,
    embedding: Float32Array,
    tuning: SessionTuning = {},
    placement?: EmbeddingPlacement,
    prebuilt?: PrebuiltGruGraphs,
  ): Promise<GruRunner> {
    const cuda = tuning.provider === 'cuda';
    const device = cuda ? gpuDevice(cudaAdapterSummary(tuning.cudaDeviceId ?? 0), 'cuda') : cpuDevice(tuning.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS);
    const r = new GruRunner(w, checkedTable(embedding, w.embDim), tuning, placement ?? (cuda ? 'baked' : 'input'), device);
    if (prebuilt && (cuda || r.placement !== 'input')) throw new Error('prebuilt GRU graphs are CPU graphs with the table as an input');
    r.prebuilt = { ...prebuilt };
    // Both graphs now (`last` pooling needs no per-step output, so that copy of T·B·2H floats is
    // not produced at all): a provider that cannot run fails here, before any task starts.
    try {
      await r.session('finals');
      if (r.placement === 'input') await r.session('steps');
    } catch (e) {
      await r.close();
      throw e;
    }
    return r;
  }

  private static embTensor(e: Float32Array, dim: number): OrtTensor {
    return float32Tensor(e, [e.length / dim, dim]);
  }

  private async session(kind: GruGraphKind): Promise<OrtSession> {
    const have = this.sessions.get(kind);
    if (have) return have;
    for (const s of this.stale.splice(0)) await s.release();
    const ready = this.prebuilt[kind];
    delete this.prebuilt[kind];
    const model =
      ready ??
      buildGensenOnnx(this.weights, {
        withSequenceOutput: kind === 'steps',
        ...(this.placement === 'baked' ? { embedding: this.table } : {}),
      });
    const s = await createSession(model, this.tuning).catch(asUserError);
    this.sessions.set(kind, s);
    return s;
  }

  /** Replace the embedding table (vocabulary expansion); ids refer to rows of the new table. */
  setEmbedding(e: Float32Array): void {
    this.table = checkedTable(e, this.weights.embDim);
    if (this.placement === 'input') {
      this.embedding = GruRunner.embTensor(e, this.weights.embDim);
      return;
    }
    this.stale.push(...this.sessions.values());
    this.sessions.clear();
  }

  get hidden(): number {
    return this.weights.hidden;
  }

  get embDim(): number {
    return this.weights.embDim;
  }

  get vocabRows(): number {
    return this.table.length / this.weights.embDim;
  }

  async run(ids: BigInt64Array, lens: Int32Array, T: number, opts: GruRunOptions): Promise<GruBatchOutput> {
    const B = lens.length;
    const feeds = {
      [GRAPH_INPUT_IDS]: int64Tensor(ids, [T, B]),
      [GRAPH_INPUT_LENS]: int32Tensor(lens, [B]),
      ...(this.embedding ? { [GRAPH_INPUT_EMB]: this.embedding } : {}),
    };
    const session = await this.session(opts.sequence ? 'steps' : 'finals');
    const out = await runSession(session, feeds, this.tuning.provider === 'cuda').catch(asUserError);
    const finals = out[GRAPH_OUTPUT_YH]!.data as Float32Array;
    const steps = opts.sequence ? (out[GRAPH_OUTPUT_Y]!.data as Float32Array) : undefined;
    return { T, B, H: this.hidden, finals, ...(steps ? { steps } : {}) };
  }

  async close(): Promise<void> {
    for (const s of [...this.stale.splice(0), ...this.sessions.values()]) await s.release();
    this.sessions.clear();
  }
}

/** A CUDA fault is the user's environment: one line naming the flag, never a stack trace. */
function asUserError(e: unknown): never {
  if (e instanceof CudaUnavailableError) throw new UserError(`gensen --device cuda: ${e.message}`);
  throw e;
}
