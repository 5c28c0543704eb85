/**
 * The one module that imports onnxruntime-node: every graph the harness runs gets its session and
 * tensors here, so the choice of execution provider and thread policy is made in one place (as
 * transformers.js does in its backend module). Today that is the CPU provider; a GPU provider is a
 * change to this file alone.
 */
import * as ort from 'onnxruntime-node';
import { DOUBLE, modelProto, node, tensorProto, valueInfo } from '../formats/onnx.js';
import { MessageWriter } from '../formats/protobuf.js';

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

/**
 * Y = X · W in float64 for a fixed W (a projection applied to many batches): one small graph whose
 * W is a constant initialiser, so each call moves only X and Y. MLAS's double GEMM is blocked and
 * vectorised; its sums run in another order than a plain loop's, so results can differ from one in
 * the last bits of a double (never visible after a float32 rounding, except at rare ties).
 */
export class FixedMatMul64 {
  private constructor(
    private readonly session: OrtSession,
    readonly inDim: number,
    readonly outDim: number,
  ) {}

  static async create(w: Float64Array, inDim: number, outDim: number, tuning: SessionTuning = {}): Promise<FixedMatMul64> {
    if (w.length !== inDim * outDim) throw new Error(`FixedMatMul64: W has ${w.length} values, expected ${inDim}x${outDim}`);
    const g = new MessageWriter();
    g.message(1, node('MatMul', ['X', 'W'], ['Y']));
    g.string(2, 'fixed_matmul');
    g.message(5, tensorProto('W', [inDim, outDim], w));
    g.message(11, valueInfo('X', DOUBLE, ['n', inDim]));
    g.message(12, valueInfo('Y', DOUBLE, ['n', outDim]));
    return new FixedMatMul64(await createSession(modelProto(g), tuning), inDim, outDim);
  }

  async run(x: Float64Array, rows: number): Promise<Float64Array> {
    const out = await this.session.run({ X: float64Tensor(x, [rows, this.inDim]) });
    return out.Y!.data as Float64Array;
  }
}
