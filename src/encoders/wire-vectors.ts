import { badVectors } from './check-output.js';
import type { Matrix } from '../util/matrix.js';

/** Decodes standard base64 of little-endian float32 values; undefined when it is not base64. */
export function base64Float32(b64: string): Float32Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  // Copy into an aligned buffer; little-endian hosts read the bytes as they are.
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * A `vectors` reply of the command protocol: `f32` (base64 of rows x dim little-endian float32) or
 * `vectors` (an array of rows). Returns the matrix, or a message saying what is wrong with it.
 */
export function decodeVectors(reply: Readonly<Record<string, unknown>>, rows: number, dim: number): Matrix | string {
  let data: Float32Array;
  if (typeof reply.f32 === 'string') {
    const d = base64Float32(reply.f32);
    if (!d) return '"f32" is not base64 of float32 values';
    if (d.length !== rows * dim) {
      return d.length % dim === 0 ? `${d.length / dim} rows for a batch of ${rows}` : `${d.length} floats, not ${rows} rows x ${dim}`;
    }
    data = d;
  } else if (Array.isArray(reply.vectors)) {
    const v = reply.vectors as unknown[];
    if (v.length !== rows) return `${v.length} rows for a batch of ${rows}`;
    data = new Float32Array(rows * dim);
    for (let i = 0; i < rows; i++) {
      const r = v[i];
      if (!Array.isArray(r) || r.length !== dim) return `row ${i} has ${Array.isArray(r) ? r.length : 'no'} values, expected dimension ${dim}`;
      for (let j = 0; j < dim; j++) {
        const x = r[j];
        if (typeof x !== 'number') return `row ${i} value ${j} is ${JSON.stringify(x)}, not a number`;
        data[i * dim + j] = x;
      }
    }
  } else {
    return 'neither "f32" nor "vectors" is present';
  }
  const m = { rows, cols: dim, data };
  return badVectors(m, rows, dim) ?? m;
}
