/** Paired significance tests for comparing two systems on the same test examples. */
import { Rng } from '../util/rng.js';

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
  const m = Math.max(...terms);
  let s = 0;
  for (const t of terms) s += Math.exp(t - m);
  return Math.min(1, 2 * Math.exp(m + Math.log(s)));
}

/**
 * Metrics below take optional per-example weights: a bootstrap resample is the count of times each
 * example was drawn, so scoring a resample is O(n) without materialising it (and Spearman needs
 * no sort per resample). No weights = every example once.
 */
export type Weights = Int32Array | undefined;

// Each metric has a weighted and an unweighted loop: a per-element "weight or 1" branch kept the
// bootstrap (10^4 resamples × 10^4 examples) several times slower.

export function accuracy(gold: ArrayLike<number>, pred: ArrayLike<number>, w?: Weights): number {
  const n = gold.length;
  let ok = 0;
  let tot = 0;
  if (w) {
    for (let i = 0; i < n; i++) {
      tot += w[i];
      if (gold[i] === pred[i]) ok += w[i];
    }
  } else {
    tot = n;
    for (let i = 0; i < n; i++) if (gold[i] === pred[i]) ok++;
  }
  return ok / tot;
}

/** F1 of the positive class (label 1), as SentEval reports it for MRPC. */
export function f1Positive(gold: ArrayLike<number>, pred: ArrayLike<number>, w?: Weights): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < gold.length; i++) {
    const k = w ? w[i] : 1;
    if (k === 0) continue;
    const g = gold[i] === 1;
    const p = pred[i] === 1;
    if (g && p) tp += k;
    else if (p) fp += k;
    else if (g) fn += k;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, w?: Weights): number {
  const n = x.length;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  if (w) {
    for (let i = 0; i < n; i++) {
      const k = w[i];
      sw += k;
      sx += k * x[i];
      sy += k * y[i];
    }
  } else {
    sw = n;
    for (let i = 0; i < n; i++) {
      sx += x[i];
      sy += y[i];
    }
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  if (w) {
    for (let i = 0; i < n; i++) {
      const k = w[i];
      if (k === 0) continue;
      const dx = x[i] - mx;
      const dy = y[i] - my;
      sxy += k * dx * dy;
      sxx += k * dx * dx;
      syy += k * dy * dy;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const dx = x[i] - mx;
      const dy = y[i] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Sorted order of a vector, computed once and reused for every resample's ranks. */
export interface RankPlan {
  readonly order: Int32Array;
  /** groupEnd[j]: one past the last position (in `order`) of the tie group that position j starts, else 0. */
  readonly groupEnd: Int32Array;
}

export function rankPlan(v: ArrayLike<number>): RankPlan {
  const n = v.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const groupEnd = new Int32Array(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && v[order[j]] === v[order[i]]) j++;
    groupEnd[i] = j;
    i = j;
  }
  return { order, groupEnd };
}

/**
 * Ranks (1-based, ties averaged, as scipy.stats.rankdata) of the multiset in which example i occurs
 * w[i] times; every copy of a value gets its tie group's average rank.
 */
export function weightedRanks(plan: RankPlan, w?: Weights, out?: Float64Array): Float64Array {
  const n = plan.order.length;
  const r = out ?? new Float64Array(n);
  let before = 0;
  for (let i = 0; i < n; ) {
    const end = plan.groupEnd[i];
    let g = 0;
    if (w) for (let j = i; j < end; j++) g += w[plan.order[j]];
    else g = end - i;
    const avg = before + (g + 1) / 2;
    for (let j = i; j < end; j++) r[plan.order[j]] = avg;
    before += g;
    i = end;
  }
  return r;
}

export function rankAverage(v: ArrayLike<number>): Float64Array {
  return weightedRanks(rankPlan(v));
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>, w?: Weights): number {
  return spearmanPlanned(rankPlan(x), rankPlan(y), w);
}

/** Spearman from precomputed sort plans (the bootstrap's hot path: no sort per resample). */
export function spearmanPlanned(px: RankPlan, py: RankPlan, w?: Weights): number {
  const n = px.order.length;
  if (scratch.length < 2 * n) scratch = new Float64Array(2 * n);
  return pearson(weightedRanks(px, w, scratch.subarray(0, n)), weightedRanks(py, w, scratch.subarray(n, 2 * n)), w);
}

let scratch = new Float64Array(0);

/** A metric of system A (0) or B (1) on the examples weighted by w (a resample's draw counts). */
export type PairedMetric = (which: 0 | 1, w: Weights) => number;

export interface BootstrapResult {
  /** metric(B) − metric(A) on all examples. */
  readonly difference: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly resamples: number;
}

/**
 * Paired bootstrap of metric(B) − metric(A): each resample draws n example indices with replacement
 * (`rng.int(n)`, n times, one Rng for the whole run) and scores both systems on the same draw. Percentile interval: with the
 * R differences sorted ascending (NaN resamples dropped), low = d[floor(α/2 · R)],
 * high = d[ceil((1 − α/2) · R) − 1].
 */
export function pairedBootstrap(n: number, metrics: readonly PairedMetric[], seed: number, resamples = 10000, alpha = 0.05): BootstrapResult[] {
  const rng = new Rng(seed);
  const diffs = metrics.map(() => new Float64Array(resamples));
  const w = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[rng.int(n)]++;
    metrics.forEach((m, k) => {
      diffs[k][r] = m(1, w) - m(0, w);
    });
  }
  return metrics.map((m, k) => {
    const d = Array.from(diffs[k]).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const R = d.length;
    return {
      difference: m(1, undefined) - m(0, undefined),
      ciLow: R ? d[Math.floor((alpha / 2) * R)] : Number.NaN,
      ciHigh: R ? d[Math.ceil((1 - alpha / 2) * R) - 1] : Number.NaN,
      resamples: R,
    };
  });
}
