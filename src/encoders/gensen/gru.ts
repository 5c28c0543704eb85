/**
 * Runs a GenSen encoder's bidirectional GRU stack on onnxruntime (sessions from compute/onnxruntime.ts),
 * the CPU implementation of GruBackend. One session per model; the graph comes from gru-graph.ts.
 */
import { cpuDevice, type DeviceRecord } from '../../compute/device.js';
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

import type { GruBackend, GruBatchOutput, GruRunOptions } from './backend.js';

export type { GruBackend, GruBatchOutput, GruRunOptions } from './backend.js';
export type { SessionTuning } from '../../compute/onnxruntime.js';

export class GruRunner implements GruBackend {
  /** Max pooling reads the steps (pooling.ts), as it always has on the CPU. */
  readonly fusedMaxPool = false;

  private constructor(
    private readonly finalsOnly: OrtSession,
    private readonly withSteps: OrtSession,
    readonly hidden: number,
    readonly embDim: number,
    private embedding: OrtTensor,
    readonly device: DeviceRecord,
  ) {}

  static async create(w: GensenWeights, embedding: Float32Array, tuning: SessionTuning = {}): Promise<GruRunner> {
    // Two graphs over the same weights: `last` pooling needs no per-step output, so that copy
    // (T·B·2H floats) is not produced at all. The embedding is a graph input, swapped per task.
    const a = await createSession(buildGensenOnnx(w, { withSequenceOutput: false }), tuning);
    const b = await createSession(buildGensenOnnx(w, { withSequenceOutput: true }), tuning);
    return new GruRunner(a, b, w.hidden, w.embDim, GruRunner.embTensor(embedding, w.embDim), cpuDevice(tuning.intraOpThreads ?? 2));
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
