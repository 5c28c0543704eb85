/**
 * A task's sentence store: one row per distinct sentence (or per occurrence, for an encoder whose
 * vectors depend on their batch), every split and both sides of every pair in one matrix, so a
 * premise that three hypotheses share is held once. Rows live in chunks of at most 1 GiB on
 * SharedArrayBuffers, so the probe workers read the same memory (nothing is copied per worker) and
 * no single typed array has to exceed what V8 allows (2^32 elements).
 */
import { bytesPerValue, decodeTable, toBfloat16, toFloat16, type FeatureDtype } from './dtype.js';

export const STORE_CHUNK_BYTES = 2 ** 30;

/** What a worker needs to read the same store (typed views on SharedArrayBuffers clone by reference). */
export interface StorePayload {
  readonly rows: number;
  readonly dim: number;
  readonly dtype: FeatureDtype;
  readonly rowsPerChunk: number;
  readonly chunks: readonly (Float32Array | Uint16Array)[];
}

export class SentenceStore {
  private constructor(private readonly p: StorePayload) {}

  /** A zeroed store of `rows` × `dim` values of `dtype`. */
  static create(rows: number, dim: number, dtype: FeatureDtype = 'float32', chunkBytes = STORE_CHUNK_BYTES): SentenceStore {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(dim) || dim < 1) throw new Error(`store: bad shape ${rows}x${dim}`);
    const rowBytes = dim * bytesPerValue(dtype);
    const rowsPerChunk = Math.max(1, Math.floor(chunkBytes / rowBytes));
    const chunks: (Float32Array | Uint16Array)[] = [];
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, rows - r) * dim;
      const sab = new SharedArrayBuffer(n * bytesPerValue(dtype));
      chunks.push(dtype === 'float32' ? new Float32Array(sab) : new Uint16Array(sab));
    }
    return new SentenceStore({ rows, dim, dtype, rowsPerChunk, chunks });
  }

  static fromPayload(p: StorePayload): SentenceStore {
    return new SentenceStore(p);
  }

  /** A float32 store over an existing row-major matrix (shared if its buffer is). */
  static wrap(data: Float32Array, rows: number, dim: number): SentenceStore {
    if (data.length !== rows * dim) throw new Error(`store: ${data.length} values for ${rows}x${dim}`);
    return new SentenceStore({ rows, dim, dtype: 'float32', rowsPerChunk: Math.max(rows, 1), chunks: [data] });
  }

  get payload(): StorePayload {
    return this.p;
  }
  get rows(): number {
    return this.p.rows;
  }
  get dim(): number {
    return this.p.dim;
  }
  get dtype(): FeatureDtype {
    return this.p.dtype;
  }
  get bytes(): number {
    return this.p.rows * this.p.dim * bytesPerValue(this.p.dtype);
  }

  /** Write `count` rows from `src` (row-major float32) starting at store row `first`. */
  setRows(first: number, src: Float32Array, count = src.length / this.p.dim): void {
    const { dim, rowsPerChunk, dtype } = this.p;
    if (first < 0 || first + count > this.p.rows) throw new Error(`store: rows ${first}..${first + count} outside 0..${this.p.rows}`);
    for (let k = 0; k < count; k++) {
      const r = first + k;
      const chunk = this.p.chunks[Math.floor(r / rowsPerChunk)]!;
      const off = (r % rowsPerChunk) * dim;
      if (dtype === 'float32') (chunk as Float32Array).set(src.subarray(k * dim, (k + 1) * dim), off);
      else {
        const enc = dtype === 'float16' ? toFloat16 : toBfloat16;
        for (let j = 0; j < dim; j++) chunk[off + j] = enc(src[k * dim + j]!);
      }
    }
  }

  /** Row `r` as float32 into `dest` at `at` (decoded if stored at half width). */
  readRow(r: number, dest: Float32Array, at = 0): void {
    const { dim, rowsPerChunk, dtype } = this.p;
    const chunk = this.p.chunks[Math.floor(r / rowsPerChunk)]!;
    const off = (r % rowsPerChunk) * dim;
    if (dtype === 'float32') {
      dest.set((chunk as Float32Array).subarray(off, off + dim), at);
      return;
    }
    const t = decodeTable(dtype);
    for (let j = 0; j < dim; j++) dest[at + j] = t[chunk[off + j]!]!;
  }

  /** Row `r` of a half-width store as its 16-bit codes, into `dest` at `at` (see dtype.ts). */
  readCodes(r: number, dest: Uint16Array, at = 0): void {
    const { dim, rowsPerChunk, dtype } = this.p;
    if (dtype === 'float32') throw new Error('store: readCodes is for float16 and bfloat16 stores');
    const off = (r % rowsPerChunk) * dim;
    dest.set((this.p.chunks[Math.floor(r / rowsPerChunk)] as Uint16Array).subarray(off, off + dim), at);
  }

  /**
   * Direct float32 access to row `r`: the chunk and the row's offset in it. Only for float32 stores
   * (callers decode half-width ones through `readRow`).
   */
  f32Row(r: number): { readonly data: Float32Array; readonly off: number } {
    const { dim, rowsPerChunk } = this.p;
    return { data: this.p.chunks[Math.floor(r / rowsPerChunk)] as Float32Array, off: (r % rowsPerChunk) * dim };
  }

  /** Rows `[first, first + count)` as one float32 matrix (a copy). */
  slice(first: number, count: number): Float32Array {
    const out = new Float32Array(count * this.p.dim);
    for (let k = 0; k < count; k++) this.readRow(first + k, out, k * this.p.dim);
    return out;
  }
}
