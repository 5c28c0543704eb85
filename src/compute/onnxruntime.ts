/**
 * The one module that imports onnxruntime-node: every graph the harness runs gets its session and
 * tensors here, so the choice of execution provider and thread policy is made in one place (as
 * transformers.js does in its backend module). The CPU provider by default; the CUDA provider where
 * the install has it (ort-cuda.ts checks that first, so a missing library is one line).
 */
import * as ort from 'onnxruntime-node';
import { CudaUnavailableError, cudaFailureReason, cudaProviderProblem, pinCudaFloat32 } from './ort-cuda.js';
import { DOUBLE, modelProto, node, tensorProto, valueInfo } from '../formats/onnx.js';
import { MessageWriter } from '../formats/protobuf.js';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export type OrtFeeds = Record<string, ort.Tensor>;

/** Intra-op threads of a session whose tuning names none. */
export const DEFAULT_INTRA_OP_THREADS = 2;

export interface SessionTuning {
  readonly intraOpThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let idle intra-op threads spin (ORT's default); off unless asked. */
  readonly spin?: boolean;
  /**
   * `cuda`: onnxruntime's CUDA execution provider (nodes it has no kernel for run on the CPU
   * provider, as onnxruntime always does); float32 unless NVIDIA_TF32_OVERRIDE was exported.
   */
  readonly provider?: 'cpu' | 'cuda';
  /** The CUDA device ordinal (`cuda` only; default 0). */
  readonly cudaDeviceId?: number;
}

/**
 * A session over a serialised ModelProto, on the CPU execution provider or, with `provider: 'cuda'`,
 * on CUDA (a CudaUnavailableError naming what is missing when it cannot run).
 */
export async function createSession(model: Uint8Array, tuning: SessionTuning = {}): Promise<OrtSession> {
  const cuda = tuning.provider === 'cuda';
  const deviceId = tuning.cudaDeviceId ?? 0;
  if (cuda) {
    pinCudaFloat32();
    const problem = await cudaProviderProblem(deviceId);
    if (problem) throw new CudaUnavailableError(problem);
  }
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: cuda ? [{ name: 'cuda', deviceId }] : ['cpu'],
    intraOpNumThreads: tuning.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
    // Spinning worker threads win on an idle machine but collapse when the 2 cores are shared
    // (measured: 3-4x slower under a concurrent load); blocking threads cost nothing idle.
    extra: { session: { intra_op: { allow_spinning: tuning.spin ? '1' : '0' } } },
  };
  if (!cuda) return ort.InferenceSession.create(model, opts);
  try {
    return await ort.InferenceSession.create(model, opts);
  } catch (e) {
    // The probe ran, so this is the device itself (out of memory for this model, a lost GPU).
    throw new CudaUnavailableError(`creating a session on CUDA device ${deviceId} failed: ${cudaFailureReason((e as Error).message)}`);
  }
}

/** Runs a session; on CUDA a failure (out of memory, a lost device) becomes a one-line CudaUnavailableError. */
export async function runSession(session: OrtSession, feeds: OrtFeeds, onCuda: boolean): Promise<Record<string, OrtTensor>> {
  if (!onCuda) return session.run(feeds);
  try {
    return await session.run(feeds);
  } catch (e) {
    throw new CudaUnavailableError(`a CUDA run failed: ${cudaFailureReason((e as Error).message)}`);
  }
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
