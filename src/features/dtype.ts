/**
 * Storage types of the sentence store. float32 is exact; float16 and bfloat16 halve the memory of
 * the store (and of the feature cache) at the cost of rounding every vector once, to nearest even,
 * before any probe sees it: numbers change, knowingly, and the choice is recorded with the results.
 */
export type FeatureDtype = 'float32' | 'float16' | 'bfloat16';

export const FEATURE_DTYPES: readonly FeatureDtype[] = ['float32', 'float16', 'bfloat16'];

export function bytesPerValue(dtype: FeatureDtype): number {
  return dtype === 'float32' ? 4 : 2;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even (NaN stays a quiet NaN). */
export function toBfloat16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x007fffff) !== 0) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 → IEEE binary16 bits, round to nearest even; overflow → ±Inf, underflow → subnormals/±0. */
export function toFloat16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x007fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x00800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m;
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1) === 1)) out++;
  return out;
}

/**
 * The smallest magnitude that `dtype` stores as ±Infinity (round to nearest even): float16's
 * largest value is 65,504, and 65,520 rounds up past it; bfloat16's is 0x7f7f, and the float32 tie
 * 0x7f7f8000 rounds up to 0x7f80. float32 stores every finite value.
 */
export function overflowsAt(dtype: FeatureDtype): number {
  if (dtype === 'float16') return 65520;
  if (dtype === 'bfloat16') {
    u32[0] = 0x7f7f8000;
    return f32[0]!;
  }
  return Number.POSITIVE_INFINITY;
}

let halfTable: Float32Array | undefined;
let bfTable: Float32Array | undefined;

/** Decoding tables (65,536 float32 values each), built on first use. */
export function decodeTable(dtype: 'float16' | 'bfloat16'): Float32Array {
  if (dtype === 'bfloat16') {
    if (!bfTable) {
      bfTable = new Float32Array(65536);
      const bits = new Uint32Array(bfTable.buffer);
      for (let i = 0; i < 65536; i++) bits[i] = i << 16;
    }
    return bfTable;
  }
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >>> 10) & 0x1f;
      const m = h & 0x3ff;
      halfTable[h] = e === 0 ? s * m * 2 ** -24 : e === 0x1f ? (m ? Number.NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  return halfTable;
}
