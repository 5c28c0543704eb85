/**
 * Correlations and errors as scipy.stats and sklearn.metrics compute them. Used by the relatedness
 * probe's early stopping, the protocols' reported metrics and the reports' paired bootstrap, so all
 * three agree to the bit. Optional weights are a bootstrap resample's draw counts.
 */
import type { Weights } from './weights.js';

/** scipy.stats.pearsonr's r, on examples weighted by draw counts (NaN when either side is constant). */
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
  if (sxx === 0 || syy === 0) return Number.NaN;
  // scipy clamps r to [-1, 1] against rounding.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
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

/** scipy.stats.rankdata(v, 'average'): ranks 1..n, ties sharing their average rank. */
export function rankAverage(v: ArrayLike<number>): Float64Array {
  return weightedRanks(rankPlan(v));
}

/** scipy.stats.spearmanr's rho: Pearson on average ranks. */
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

/** sklearn.metrics.mean_squared_error. */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / a.length;
}
