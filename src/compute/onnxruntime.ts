/**
 * The one module that imports onnxruntime-node: every graph the harness runs gets its session and
 * tensors here, so the choice of execution provider and thread policy is made in one place (as
 * transformers.js does in its backend module). Today that is the CPU provider; a GPU provider is a
 * change to this file alone.
 */
import * as ort from 'onnxruntime-node';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export type OrtFeeds = Record<string, ort.Tensor>;

export interface SessionTuning {
  readonly intraOpThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let idle intra-op threads spin (ORT's default); off unless asked. */
  readonly spin?: boolean;
}

/** A session over a serialised ModelProto, on the CPU execution provider. */
export function createSession(model: Uint8Array, tuning: SessionTuning = {}): Promise<OrtSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: tuning.intraOpThreads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
    // Spinning worker threads win on an idle machine but collapse when the 2 cores are shared
    // (measured: 3-4x slower under a concurrent load); blocking threads cost nothing idle.
    extra: { session: { intra_op: { allow_spinning: tuning.spin ? '1' : '0' } } },
  };
  return ort.InferenceSession.create(model, opts);
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims);
}

export function float64Tensor(data: Float64Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float64', data, dims);
}

export function int64Tensor(data: BigInt64Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int64', data, dims);
}

export function int32Tensor(data: Int32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int32', data, dims);
}
