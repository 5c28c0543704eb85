/**
 * Runs a GenSen encoder's bidirectional GRU stack on onnxruntime (sessions from compute/onnxruntime.ts).
 * One session per model; the graph comes from gru-graph.ts.
 */
import { createSession, float32Tensor, int32Tensor, int64Tensor, type OrtSession, type OrtTensor, type SessionTuning } from '../../compute/onnxruntime.js';
import {
  buildGensenOnnx,
  GRAPH_INPUT_EMB,
  GRAPH_INPUT_IDS,
  GRAPH_INPUT_LENS,
  GRAPH_OUTPUT_Y,
  GRAPH_OUTPUT_YH,
  type GensenWeights,
} from './gru-graph.js';

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

export type { SessionTuning } from '../../compute/onnxruntime.js';

export class GruRunner {
  private constructor(
    private readonly finalsOnly: OrtSession,
    private readonly withSteps: OrtSession,
    readonly hidden: number,
    readonly embDim: number,
    private embedding: OrtTensor,
  ) {}

  static async create(w: GensenWeights, embedding: Float32Array, tuning: SessionTuning = {}): Promise<GruRunner> {
    // Two graphs over the same weights: `last` pooling needs no per-step output, so that copy
    // (T·B·2H floats) is not produced at all. The embedding is a graph input, swapped per task.
    const a = await createSession(buildGensenOnnx(w, { withSequenceOutput: false }), tuning);
    const b = await createSession(buildGensenOnnx(w, { withSequenceOutput: true }), tuning);
    return new GruRunner(a, b, w.hidden, w.embDim, GruRunner.embTensor(embedding, w.embDim));
  }

  private static embTensor(e: Float32Array, dim: number): OrtTensor {
    if (e.length % dim !== 0) throw new Error(`embedding of ${e.length} values is not a multiple of ${dim}`);
    return float32Tensor(e, [e.length / dim, dim]);
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
      [GRAPH_INPUT_IDS]: int64Tensor(ids, [T, B]),
      [GRAPH_INPUT_LENS]: int32Tensor(lens, [B]),
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
