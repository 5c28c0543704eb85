/** Paired significance tests for comparing two systems on the same test examples. */
import { Rng } from '../util/rng.js';
import type { Weights } from './weights.js';

/** log(n!) by summation, cached: exact enough for the binomial tails McNemar needs (n ≤ a few 10^5). */
const logFact: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFact.length; i <= n; i++) logFact.push(logFact[i - 1] + Math.log(i));
  return logFact[n];
}

/**
 * McNemar's exact test: two-sided binomial test of the discordant pairs, b (A right, B wrong)
 * against c (A wrong, B right), under p = 0.5. p = min(1, 2 · P(X ≤ min(b, c))), X ~ Bin(b + c, ½),
 * which is what scipy.stats.binomtest(k, n, 0.5) gives for a symmetric null.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  const lf = logFactorial(n);
  const logHalfN = -n * Math.LN2;
  // Sum the tail in log space relative to its largest term (the last one) to avoid underflow.
  const terms: number[] = [];
  for (let i = 0; i <= k; i++) terms.push(lf - logFactorial(i) - logFactorial(n - i) + logHalfN);
  let m = -Infinity;
  for (const t of terms) if (t > m) m = t;
  let s = 0;
  for (const t of terms) s += Math.exp(t - m);
  return Math.min(1, 2 * Math.exp(m + Math.log(s)));
}

/** A metric of system A (0) or B (1) on the examples weighted by w (a resample's draw counts). */
export type PairedMetric = (which: 0 | 1, w: Weights) => number;

export interface BootstrapResult {
  /** metric(B) − metric(A) on all examples. */
  readonly difference: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  /**
   * Two-sided bootstrap p-value of "no difference": min(1, 2 · min(#d ≤ 0, #d ≥ 0) / R) over the R
   * resampled differences d (ties with 0 count on both sides). No +1 correction, so that p ≤ alpha
   * goes with the percentile interval excluding 0; 0 means no resample crossed 0 (p < 1/R).
   */
  readonly pValue: number;
  readonly resamples: number;
}

/**
 * Paired bootstrap of metric(B) − metric(A): each resample draws n example indices with replacement
 * (`rng.int(n)`, n times, one Rng for the whole run) and scores both systems on the same draw. Percentile interval: with the
 * R differences sorted ascending (NaN resamples dropped), low = d[floor(α/2 · R)],
 * high = d[ceil((1 − α/2) · R) − 1].
 */
export function pairedBootstrap(n: number, metrics: readonly PairedMetric[], seed: number, resamples = 10000, alpha = 0.05): BootstrapResult[] {
  // One stratum draws exactly this: the same Rng calls in the same order.
  return stratifiedPairedBootstrap(
    [n],
    metrics.map(
      (m): StratifiedMetric =>
        (which, w) =>
          m(which, w?.[0]),
    ),
    seed,
    resamples,
    alpha,
  );
}

/** Percentile interval and two-sided p of resampled differences (NaN resamples dropped). */
function summarise(difference: number, diffs: Float64Array, alpha: number): BootstrapResult {
  const d = Array.from(diffs)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  const R = d.length;
  let below = 0;
  let above = 0;
  for (const x of d) {
    if (x <= 0) below++;
    if (x >= 0) above++;
  }
  return {
    difference,
    pValue: R ? Math.min(1, (2 * Math.min(below, above)) / R) : Number.NaN,
    ciLow: R ? d[Math.floor((alpha / 2) * R)]! : Number.NaN,
    ciHigh: R ? d[Math.ceil((1 - alpha / 2) * R) - 1]! : Number.NaN,
    resamples: R,
  };
}

/** A metric of system A (0) or B (1) given one weight vector per stratum (undefined: every example once). */
export type StratifiedMetric = (which: 0 | 1, w: readonly Int32Array[] | undefined) => number;

/**
 * The paired bootstrap of `pairedBootstrap` with the examples in strata (an STS year's datasets):
 * each resample draws n_k indices with replacement inside every stratum k, in stratum order
 * (`rng.int(n_k)`, n_k times, one Rng for the whole run), so every resample keeps the strata's
 * sizes, as a statistic that averages per-stratum scores needs. Same percentile interval. With one
 * stratum it draws exactly what `pairedBootstrap` draws.
 */
export function stratifiedPairedBootstrap(
  sizes: readonly number[],
  metrics: readonly StratifiedMetric[],
  seed: number,
  resamples = 10000,
  alpha = 0.05,
): BootstrapResult[] {
  const rng = new Rng(seed);
  const diffs = metrics.map(() => new Float64Array(resamples));
  const w = sizes.map((n) => new Int32Array(n));
  for (let r = 0; r < resamples; r++) {
    sizes.forEach((n, k) => {
      const wk = w[k]!;
      wk.fill(0);
      for (let i = 0; i < n; i++) wk[rng.int(n)]++;
    });
    metrics.forEach((m, k) => {
      diffs[k][r] = m(1, w) - m(0, w);
    });
  }
  return metrics.map((m, k) => summarise(m(1, undefined) - m(0, undefined), diffs[k]!, alpha));
}
