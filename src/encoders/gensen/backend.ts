/**
 * The GenSen encoder's heavy kernels behind one interface: the embedding lookup and the
 * bidirectional GRU stack of one model. Two implementations: onnxruntime on the CPU (gru.ts) and
 * WebGPU compute shaders (gru-webgpu.ts). Pooling stays in the encoder (pooling.ts), so both
 * backends feed the same pooling code; only the masked running max can be fused into the GPU
 * recurrence (max is exact, so fusing it changes no bit).
 */
import type { DeviceRecord } from '../../compute/device.js';

export interface GruRunOptions {
  /** Also return the per-step outputs of the top layer. */
  readonly sequence: boolean;
  /**
   * Also return `maxima`, the element-wise max over t < len of the top layer's [forward; backward]
   * outputs, where the backend can compute it without returning the steps (`fusedMaxPool`).
   */
  readonly maxPool?: boolean;
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
  /** [2, B, H] masked max over each sentence's positions, forward then backward; only with `maxPool` on a fused backend. */
  readonly maxima?: Float32Array;
}

export interface GruBackend {
  /** The hardware that runs `run` (results and the encoder's identity record it). */
  readonly device: DeviceRecord;
  readonly hidden: number;
  readonly embDim: number;
  /** Rows of the current embedding table (ids must be below it). */
  readonly vocabRows: number;
  /** Whether `run({ maxPool: true })` returns `maxima` (otherwise pool from `steps`). */
  readonly fusedMaxPool: boolean;
  /**
   * Whether `run` computes on a thread of its own (gru-thread.ts): the encoder then starts every
   * model's batches before awaiting any, so the models of a pair run at once.
   */
  readonly ownThread: boolean;
  /** Replace the embedding table (vocabulary expansion); ids refer to rows of the new table. */
  setEmbedding(e: Float32Array): void;
  /** ids: time-major [T, B] (padding id anywhere past a sentence's length), lens: [B], all ≥ 1. */
  run(ids: BigInt64Array, lens: Int32Array, T: number, opts: GruRunOptions): Promise<GruBatchOutput>;
  close(): Promise<void>;
}
