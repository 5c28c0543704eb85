/**
 * Tai et al. (2015) encoding of a relatedness score as a distribution over the classes 1..nclass.
 *
 * `faithful` is SentEval's encode_labels: with f = floor(y), class f+1 gets y − f and class f gets
 * f − y + 1 (1-based), each only if that class exists. A score below 1 (STS-B's range is 0–5) has
 * no class f = 0, so it yields [y, 0, 0, 0, 0]: a "distribution" summing to y, not 1 (y = 0 gives
 * all zeros). `clean` clamps the score into [1, nclass] first, so y < 1 becomes [1, 0, 0, 0, 0].
 */
export type LowScoreQuirk = 'faithful' | 'clean';

export interface TaiOptions {
  readonly nclass?: number;
  readonly quirk?: LowScoreQuirk;
}

export function encodeTai(score: number, opts: TaiOptions = {}): Float64Array {
  const nclass = opts.nclass ?? 5;
  const quirk = opts.quirk ?? 'faithful';
  const y = quirk === 'clean' ? Math.min(Math.max(score, 1), nclass) : score;
  const f = Math.floor(y);
  const out = new Float64Array(nclass);
  for (let i = 0; i < nclass; i++) {
    // Same two tests, in the same order, as encode_labels (0-based i is class i+1).
    if (i + 1 === f + 1) out[i] = y - f;
    if (i + 1 === f) out[i] = f - y + 1;
  }
  return out;
}

/** Encode every score into one row-major [n × nclass] array. */
export function encodeTaiAll(scores: ArrayLike<number>, opts: TaiOptions = {}): Float64Array {
  const nclass = opts.nclass ?? 5;
  const out = new Float64Array(scores.length * nclass);
  for (let i = 0; i < scores.length; i++) out.set(encodeTai(scores[i]!, opts), i * nclass);
  return out;
}
