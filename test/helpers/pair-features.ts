/** The materialised probe features the store-backed ones (src/features/source.ts) are tested against. */
import type { FeatureScheme } from '../../src/tasks/types.js';
import type { Matrix } from '../../src/util/matrix.js';

/**
 * Probe features from sentence vectors: `single` is u; `absdiff-prod` is [|u-v|, u*v] (MRPC, SICK,
 * STS-B); `nli` is [u, v, u*v, |u-v|] (SNLI, and the same for MultiNLI and Quora); `pair` is [u, v]
 * (unsupervised STS, which takes the cosine of the two).
 */
export function pairFeatures(scheme: FeatureScheme, u: Matrix, v?: Matrix): Matrix {
  if (scheme === 'single') return u;
  if (!v || v.rows !== u.rows || v.cols !== u.cols) throw new Error(`pairFeatures(${scheme}) needs two equal-shaped matrices`);
  const n = u.rows;
  const d = u.cols;
  if (scheme === 'pair') {
    // The vectors themselves, u then v on each row, for protocols that score them directly.
    const out = new Float32Array(n * 2 * d);
    for (let i = 0; i < n; i++) {
      out.set(u.data.subarray(i * d, (i + 1) * d), 2 * i * d);
      out.set(v.data.subarray(i * d, (i + 1) * d), (2 * i + 1) * d);
    }
    return { rows: n, cols: 2 * d, data: out };
  }
  const blocks = scheme === 'nli' ? 4 : 2;
  const out = new Float32Array(n * d * blocks);
  const w = d * blocks;
  const ud = u.data;
  const vd = v.data;
  for (let i = 0; i < n; i++) {
    const o = i * w;
    const s = i * d;
    for (let j = 0; j < d; j++) {
      const a = ud[s + j]!;
      const b = vd[s + j]!;
      // Computed in float32 like numpy on float32 batcher output.
      const diff = Math.fround(Math.abs(Math.fround(a - b)));
      const prod = Math.fround(a * b);
      if (blocks === 2) {
        out[o + j] = diff;
        out[o + d + j] = prod;
      } else {
        out[o + j] = a;
        out[o + d + j] = b;
        out[o + 2 * d + j] = prod;
        out[o + 3 * d + j] = diff;
      }
    }
  }
  return { rows: n, cols: w, data: out };
}
