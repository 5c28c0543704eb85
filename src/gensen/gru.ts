/**
 * Runs a GenSen encoder's bidirectional GRU stack on onnxruntime-node (CPU).
 * One session per model; the graph comes from onnx-graph.ts.
 */
import * as ort from 'onnxruntime-node';
import {
  buildGensenOnnx,
  GRAPH_INPUT_EMB,
  GRAPH_INPUT_IDS,
  GRAPH_INPUT_LENS,
  GRAPH_OUTPUT_Y,
  GRAPH_OUTPUT_YH,
  type GensenWeights,
} from './onnx-graph.js';

export interface GruRunOptions {
  /** Also return the per-step outputs of the top layer. */
  readonly sequence: boolean;
}

/** Output of one padded batch. */
export interface GruBatchOutput {
  readonly T: number;
  readonly B: number;
  readonly H: number;
  /** [2, B, H]: final forward state, final backward state (after reading position 0). */
  readonly finals: Float32Array;
  /** [T, 2, B, H] top-layer outputs, zero past each sentence's length; only when requested. */
  readonly steps?: Float32Array;
}

export interface SessionTuning {
  readonly intraOpThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let idle intra-op threads spin (ORT's default); off unless asked. */
  readonly spin?: boolean;
}

export class GruRunner {
  private constructor(
    private readonly finalsOnly: ort.InferenceSession,
    private readonly withSteps: ort.InferenceSession,
    readonly hidden: number,
    readonly embDim: number,
    private embedding: ort.Tensor,
  ) {}

  static async create(w: GensenWeights, embedding: Float32Array, tuning: SessionTuning = {}): Promise<GruRunner> {
    const opts: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: tuning.intraOpThreads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
      // Spinning worker threads win on an idle machine but collapse when the 2 cores are shared
      // (measured: 3-4x slower under a concurrent load); blocking threads cost nothing idle.
      extra: { session: { intra_op: { allow_spinning: tuning.spin ? '1' : '0' } } },
    };
    // Two graphs over the same weights: `last` pooling needs no per-step output, so that copy
    // (T·B·2H floats) is not produced at all. The embedding is a graph input, swapped per task.
    const a = await ort.InferenceSession.create(buildGensenOnnx(w, { withSequenceOutput: false }), opts);
    const b = await ort.InferenceSession.create(buildGensenOnnx(w, { withSequenceOutput: true }), opts);
    return new GruRunner(a, b, w.hidden, w.embDim, GruRunner.embTensor(embedding, w.embDim));
  }

  private static embTensor(e: Float32Array, dim: number): ort.Tensor {
    if (e.length % dim !== 0) throw new Error(`embedding of ${e.length} values is not a multiple of ${dim}`);
    return new ort.Tensor('float32', e, [e.length / dim, dim]);
  }

  /** Replace the embedding table (vocabulary expansion); ids refer to rows of the new table. */
  setEmbedding(e: Float32Array): void {
    this.embedding = GruRunner.embTensor(e, this.embDim);
  }

  get vocabRows(): number {
    return this.embedding.dims[0]!;
  }

  /**
   * ids: time-major [T, B] (padding id anywhere past a sentence's length), lens: [B], all ≥ 1.
   */
  async run(ids: BigInt64Array, lens: Int32Array, T: number, opts: GruRunOptions): Promise<GruBatchOutput> {
    const B = lens.length;
    const feeds = {
      [GRAPH_INPUT_IDS]: new ort.Tensor('int64', ids, [T, B]),
      [GRAPH_INPUT_LENS]: new ort.Tensor('int32', lens, [B]),
      [GRAPH_INPUT_EMB]: this.embedding,
    };
    const session = opts.sequence ? this.withSteps : this.finalsOnly;
    const out = await session.run(feeds);
    const finals = out[GRAPH_OUTPUT_YH]!.data as Float32Array;
    const steps = opts.sequence ? (out[GRAPH_OUTPUT_Y]!.data as Float32Array) : undefined;
    return { T, B, H: this.hidden, finals, ...(steps ? { steps } : {}) };
  }

  async close(): Promise<void> {
    await this.finalsOnly.release();
    await this.withSteps.release();
  }
}
