/**
 * A registered dataset on the GPU, uploaded once and read by every probe trained on it: the
 * sentence store's rows (float32; half-width stores are decoded on upload) split over as many
 * storage bindings as the adapter's binding limit needs, and one `ex` buffer holding each example's
 * store rows a and b followed by its label (classification) or Tai target row (relatedness).
 * Pair features are never materialised: the kernels combine u and v per column as they read them.
 */
/// <reference types="@webgpu/types" />
import { GpuUnavailableError, type GpuContext } from '../../compute/webgpu.js';
import { SentenceStore } from '../../features/store.js';
import { identityRows } from '../model.js';
import type { SourcePayload } from '../../features/source.js';
import type { ProbeKernelSpec } from './probe-wgsl.js';

/** Storage bindings the probe kernels use besides the store (ex, table, params, opt, act). */
export const OTHER_STORAGE_BINDINGS = 5;
/** Bytes per upload call (staged through an unshared copy: store chunks live on SharedArrayBuffers). */
const UPLOAD_BYTES = 4 << 20;

export interface GpuDataset {
  readonly scheme: ProbeKernelSpec['scheme'];
  readonly dim: number;
  readonly cols: number;
  readonly examples: number;
  readonly rowsPerChunk: number;
  readonly store: readonly GPUBuffer[];
  readonly ex: GPUBuffer;
  /** Bytes this dataset holds on the device. */
  readonly bytes: number;
  destroy(): void;
}

/** A registered dataset as the protocol layer holds it (features, then labels or Tai targets). */
export interface ProbeDataset {
  readonly id: number;
  readonly X: Float32Array | SourcePayload;
  readonly cols: number;
  readonly y?: Int32Array;
  readonly targets?: Float64Array;
}

export interface UploadOptions {
  /** Caps a store binding below the adapter's limit (tests use it to force several bindings). */
  readonly maxBindingBytes?: number;
}

function shapeOf(ds: ProbeDataset): { scheme: GpuDataset['scheme']; store: SentenceStore; a: Int32Array; b: Int32Array | null } {
  const X = ds.X;
  const dense = (m: Float32Array, cols: number) => {
    const rows = m.length / cols;
    return { scheme: 'single' as const, store: SentenceStore.wrap(m, rows, cols), a: identityRows(rows), b: null };
  };
  if (X instanceof Float32Array) return dense(X, ds.cols);
  if (X.kind === 'dense') return dense(X.X, X.cols);
  if (X.scheme === 'pair') throw new Error(`dataset ${ds.id}: raw pairs are not probe features`);
  return { scheme: X.scheme, store: SentenceStore.fromPayload(X.store), a: X.a, b: X.b };
}

export function uploadDataset(ctx: GpuContext, ds: ProbeDataset, o: UploadOptions = {}): GpuDataset {
  const { scheme, store, a, b } = shapeOf(ds);
  const dim = store.dim;
  const n = a.length;
  const lim = ctx.limits;
  const bindBytes = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize, o.maxBindingBytes ?? Infinity);
  const rowBytes = dim * 4;
  if (rowBytes > bindBytes)
    throw new GpuUnavailableError(`GPU probes: a ${dim}-d feature row (${rowBytes} bytes) exceeds the adapter's storage binding limit of ${bindBytes} bytes`);
  const rowsPerChunk = Math.floor(bindBytes / rowBytes);
  const chunks = Math.max(1, Math.ceil(store.rows / rowsPerChunk));
  const allowed = lim.maxStorageBuffersPerShaderStage - OTHER_STORAGE_BINDINGS;
  if (chunks > allowed) {
    throw new GpuUnavailableError(
      `GPU probes: the features (${store.rows} rows × ${dim} float32, ${((store.rows * rowBytes) / 2 ** 30).toFixed(2)} GiB) need ${chunks} storage bindings of at most ` +
        `${(bindBytes / 2 ** 20).toFixed(0)} MiB, and the adapter allows ${allowed}; use --device cpu`,
    );
  }
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  let bytes = 0;
  const pieceRows = Math.max(1, Math.floor(UPLOAD_BYTES / rowBytes));
  const piece = new Float32Array(pieceRows * dim);
  for (let c = 0; c < chunks; c++) {
    const first = c * rowsPerChunk;
    const rows = Math.min(rowsPerChunk, store.rows - first);
    const buf = ctx.device.createBuffer({ label: `probe store ${c}`, size: Math.max(16, rows * rowBytes), usage });
    for (let r = 0; r < rows; r += pieceRows) {
      const m = Math.min(pieceRows, rows - r);
      for (let k = 0; k < m; k++) store.readRow(first + r + k, piece, k * dim);
      ctx.device.queue.writeBuffer(buf, r * rowBytes, piece, 0, m * dim);
    }
    buffers.push(buf);
    bytes += buf.size;
  }
  // a, b, then labels (one word each) or Tai targets (nclass float32 bits each).
  const tail = ds.y ? ds.y.length : ds.targets ? ds.targets.length : 0;
  const exWords = new Uint32Array(2 * n + tail);
  exWords.set(a, 0);
  exWords.set(b ?? a, n);
  if (ds.y) exWords.set(ds.y, 2 * n);
  else if (ds.targets) new Float32Array(exWords.buffer, 2 * n * 4, tail).set(ds.targets);
  const ex = ctx.device.createBuffer({ label: 'probe examples', size: Math.max(16, exWords.byteLength), usage });
  ctx.device.queue.writeBuffer(ex, 0, exWords);
  bytes += ex.size;
  return {
    scheme,
    dim,
    cols: ds.cols,
    examples: n,
    rowsPerChunk,
    store: buffers,
    ex,
    bytes,
    destroy() {
      for (const buf of buffers) buf.destroy();
      ex.destroy();
    },
  };
}
