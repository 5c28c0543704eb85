/**
 * Probe features without materialising them. A split's features are either a dense matrix (single
 * sentence tasks: u) or sentence-store rows (pairs of them, or one for single-sentence tasks), combined per minibatch into SentEval's
 * `[|u−v|, u⊙v]` (MRPC, SICK, STS-B) or `[u, v, u⊙v, |u−v|]` (SNLI, MultiNLI, Quora). The
 * combination rounds exactly as numpy does on float32 batcher output (each product and difference
 * rounded to float32 once), so a gathered row is bit-identical to the materialised one — and so are
 * the probes trained on it. At MultiNLI's size the materialised 16,384-d features would be ~26 GB;
 * the store they come from is a sixth of that.
 */
import type { Matrix } from '../util/matrix.js';
import type { FeatureDtype } from './dtype.js';
import { SentenceStore, type StorePayload } from './store.js';

/**
 * `single`: row a itself (u); `absdiff-prod`: [|u−v|, u⊙v]; `nli`: [u, v, u⊙v, |u−v|]; `pair`: u then v as
 * they are (unsupervised STS, which scores the two vectors itself).
 */
export type FeatureScheme = 'single' | 'absdiff-prod' | 'nli' | 'pair';

/**
 * One split's features as rows of the sentence store, combined on demand: example i combines rows
 * a[i] and b[i] by `scheme` (a single-sentence task's `single` takes row a[i] alone, with b = a).
 */
export interface StoreMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly pairs: { readonly scheme: FeatureScheme; readonly store: SentenceStore; readonly a: Int32Array; readonly b: Int32Array };
}

/** What the protocol engines take for a split. */
export type FeatureMatrix = Matrix | StoreMatrix;

export function isStoreMatrix(m: FeatureMatrix): m is StoreMatrix {
  return 'pairs' in m;
}

export function blocksOf(scheme: FeatureScheme): number {
  return scheme === 'nli' ? 4 : scheme === 'single' ? 1 : 2;
}

export function storeMatrix(scheme: FeatureScheme, store: SentenceStore, a: Int32Array, b: Int32Array): StoreMatrix {
  if (a.length !== b.length) throw new Error(`pair features: ${a.length} left rows, ${b.length} right rows`);
  for (const v of [a, b]) for (const r of v) if (!(r >= 0 && r < store.rows)) throw new Error(`pair features: store row ${r} outside 0..${store.rows - 1}`);
  return { rows: a.length, cols: store.dim * blocksOf(scheme), pairs: { scheme, store, a, b } };
}

/** Rows of features on demand: what the probes read. */
export interface RowSource {
  readonly rows: number;
  readonly cols: number;
  /**
   * Write the features of examples `rows[start..end)` to `dest`, example k at `(k − start)·stride`;
   * columns `cols..stride` are zeroed.
   */
  gather(rows: ArrayLike<number>, start: number, end: number, dest: Float32Array, stride: number): void;
  /** A store source's two sentence vectors per example, for a reader that combines them itself. */
  readonly pairs?: PairVectors;
}

/**
 * The vectors a pair source combines: the probes' SIMD kernels copy them into a minibatch's rows
 * and combine them there by `scheme` (probe/wasm/pair-kernels.ts), bit for bit as `gather` does.
 */
export interface PairVectors {
  readonly scheme: FeatureScheme;
  /** Dimension of each sentence vector. */
  readonly dim: number;
  /** How the store holds them: a half-width store's codes can be copied as they are and widened by the reader. */
  readonly dtype: FeatureDtype;
  /** Example i's vectors u and v as float32 into `dest`, u from `uAt` on and v from `vAt` on. */
  read(i: number, dest: Float32Array, uAt: number, vAt: number): void;
  /** Example i's u then v as a half-width store's 16-bit codes (2·dim of them), into `dest` from `at` on. */
  readCodes(i: number, dest: Uint16Array, at: number): void;
}

/** Structured-cloneable description of a RowSource (typed arrays on SharedArrayBuffers). */
export type SourcePayload =
  | { readonly kind: 'dense'; readonly X: Float32Array; readonly cols: number }
  | { readonly kind: 'pairs'; readonly scheme: FeatureScheme; readonly store: StorePayload; readonly a: Int32Array; readonly b: Int32Array };

export function sourceFromPayload(p: SourcePayload): RowSource {
  return p.kind === 'dense' ? denseSource(p.X, p.cols) : storeSource(p.scheme, SentenceStore.fromPayload(p.store), p.a, p.b);
}

export function denseSource(X: Float32Array, cols: number): RowSource {
  return {
    rows: X.length / cols,
    cols,
    gather(rows, start, end, dest, stride) {
      for (let k = start; k < end; k++) {
        const o = (k - start) * stride;
        const r = rows[k]! * cols;
        dest.set(X.subarray(r, r + cols), o);
        if (stride > cols) dest.fill(0, o + cols, o + stride);
      }
    },
  };
}

export function storeSource(scheme: FeatureScheme, store: SentenceStore, a: Int32Array, b: Int32Array): RowSource {
  const d = store.dim;
  const nli = scheme === 'nli';
  const raw = scheme === 'pair';
  const cols = d * blocksOf(scheme);
  const f32 = store.dtype === 'float32';
  const ua = f32 ? null : new Float32Array(d);
  const vb = f32 ? null : new Float32Array(d);
  return {
    rows: a.length,
    cols,
    pairs: {
      scheme,
      dim: d,
      dtype: store.dtype,
      read(i, dest, uAt, vAt) {
        store.readRow(a[i]!, dest, uAt);
        store.readRow(b[i]!, dest, vAt);
      },
      readCodes(i, dest, at) {
        store.readCodes(a[i]!, dest, at);
        store.readCodes(b[i]!, dest, at + d);
      },
    },
    gather(rows, start, end, dest, stride) {
      for (let k = start; k < end; k++) {
        const i = rows[k]!;
        let U: Float32Array;
        let uo: number;
        let V: Float32Array;
        let vo: number;
        if (ua && vb) {
          store.readRow(a[i]!, ua);
          store.readRow(b[i]!, vb);
          [U, uo, V, vo] = [ua, 0, vb, 0];
        } else {
          const ur = store.f32Row(a[i]!);
          const vr = store.f32Row(b[i]!);
          [U, uo, V, vo] = [ur.data, ur.off, vr.data, vr.off];
        }
        const o = (k - start) * stride;
        if (scheme === 'single') {
          dest.set(U.subarray(uo, uo + d), o);
          if (stride > cols) dest.fill(0, o + cols, o + stride);
          continue;
        }
        // Float32Array stores round once; |x| commutes with that rounding, so these equal numpy's
        // float32 np.abs(u - v) and u * v.
        if (raw) {
          for (let j = 0; j < d; j++) {
            dest[o + j] = U[uo + j]!;
            dest[o + d + j] = V[vo + j]!;
          }
        } else if (nli) {
          for (let j = 0; j < d; j++) {
            const x = U[uo + j]!;
            const y = V[vo + j]!;
            dest[o + j] = x;
            dest[o + d + j] = y;
            dest[o + 2 * d + j] = x * y;
            dest[o + 3 * d + j] = Math.abs(x - y);
          }
        } else {
          for (let j = 0; j < d; j++) {
            const x = U[uo + j]!;
            const y = V[vo + j]!;
            dest[o + j] = Math.abs(x - y);
            dest[o + d + j] = x * y;
          }
        }
        if (stride > cols) dest.fill(0, o + cols, o + stride);
      }
    },
  };
}

/** The dense features of a FeatureMatrix (a copy for pairs): for small sets and tests. */
export function materialize(m: FeatureMatrix): Matrix {
  if (!isStoreMatrix(m)) return m;
  const src = storeSource(m.pairs.scheme, m.pairs.store, m.pairs.a, m.pairs.b);
  const data = new Float32Array(m.rows * m.cols);
  const all = Int32Array.from({ length: m.rows }, (_, i) => i);
  src.gather(all, 0, m.rows, data, m.cols);
  return { rows: m.rows, cols: m.cols, data };
}
