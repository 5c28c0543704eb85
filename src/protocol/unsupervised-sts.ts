/**
 * SentEval's unsupervised STS protocol (senteval/sts.py, STSEval.run; PROTOCOL.md section 2): no
 * probe and no seed. Per dataset of a year, the score of a pair is the cosine of its two sentence
 * vectors (NaN, from a zero vector, mapped to 0), correlated with the gold scores by scipy's
 * Pearson and Spearman; `all` is the plain and the sample-weighted mean over the datasets, and the
 * pooled correlation of every scored pair of the year (which SimCSE-era tables also quote).
 */
import { pearson, spearman } from '../stats/index.js';
import type { Matrix } from '../util/matrix.js';
import { npMean } from './npmean.js';

export interface StsDataset {
  readonly name: string;
  /** Vectors of s1 and s2, row i of each being pair i (SentEval's sorted order). */
  readonly u: Matrix;
  readonly v: Matrix;
  readonly gold: readonly number[];
}

export interface StsDatasetResult {
  readonly name: string;
  readonly n: number;
  readonly pearson: number;
  readonly spearman: number;
  /** The cosine of each pair, in the given order. */
  readonly scores: Float64Array;
}

export interface StsYearResult {
  readonly datasets: readonly StsDatasetResult[];
  readonly mean: { readonly pearson: number; readonly spearman: number };
  readonly wmean: { readonly pearson: number; readonly spearman: number };
  readonly pooled: { readonly pearson: number; readonly spearman: number };
}

/**
 * `np.nan_to_num(cosine(np.nan_to_num(u), np.nan_to_num(v)))` with senteval.utils.cosine =
 * `dot(u, v) / sqrt(dot(u, u) * dot(v, v))`, in double precision. A zero vector gives 0/0 = NaN,
 * hence 0; a non-finite component is taken as numpy's nan_to_num takes it (NaN 0, ±inf ±max).
 */
export function cosineScores(u: Matrix, v: Matrix): Float64Array {
  if (u.rows !== v.rows || u.cols !== v.cols) throw new Error(`cosineScores: ${u.rows}x${u.cols} vs ${v.rows}x${v.cols}`);
  const d = u.cols;
  const out = new Float64Array(u.rows);
  const fin = (x: number): number => (Number.isNaN(x) ? 0 : x === Infinity ? Number.MAX_VALUE : x === -Infinity ? -Number.MAX_VALUE : x);
  for (let i = 0; i < u.rows; i++) {
    let uv = 0;
    let uu = 0;
    let vv = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const a = fin(u.data[o + j]!);
      const b = fin(v.data[o + j]!);
      uv += a * b;
      uu += a * a;
      vv += b * b;
    }
    const c = uv / Math.sqrt(uu * vv);
    out[i] = fin(c);
  }
  return out;
}

export function runUnsupervisedSts(datasets: readonly StsDataset[]): StsYearResult {
  if (datasets.length === 0) throw new Error('unsupervised STS: no dataset');
  const results: StsDatasetResult[] = [];
  const allScores: number[] = [];
  const allGold: number[] = [];
  for (const ds of datasets) {
    if (ds.gold.length !== ds.u.rows) throw new Error(`unsupervised STS ${ds.name}: ${ds.u.rows} pairs but ${ds.gold.length} gold scores`);
    const scores = cosineScores(ds.u, ds.v);
    results.push({ name: ds.name, n: ds.gold.length, pearson: pearson(scores, ds.gold), spearman: spearman(scores, ds.gold), scores });
    for (let i = 0; i < scores.length; i++) allScores.push(scores[i]!);
    for (const g of ds.gold) allGold.push(g);
  }
  const weights = results.map((r) => r.n);
  const wsum = weights.reduce((s, w) => s + w, 0);
  // np.average(x, weights=w) = (x * w).sum() / w.sum()
  const wavg = (xs: readonly number[]): number => xs.reduce((s, x, k) => s + x * weights[k]!, 0) / wsum;
  const prs = results.map((r) => r.pearson);
  const spr = results.map((r) => r.spearman);
  return {
    datasets: results,
    mean: { pearson: npMean(prs), spearman: npMean(spr) },
    wmean: { pearson: wavg(prs), spearman: wavg(spr) },
    pooled: { pearson: pearson(allScores, allGold), spearman: spearman(allScores, allGold) },
  };
}

/**
 * The metric names of a year's results: `spearman` and `pearson` are `all` as the mean over the
 * datasets (the main score is `spearman`), `_wmean` the sample-weighted mean, `_pooled` one
 * correlation over every pair of the year, and `<stat>_<dataset>` each dataset's own.
 */
export function stsMetrics(r: StsYearResult): Record<string, number> {
  const m: Record<string, number> = {
    spearman: r.mean.spearman,
    pearson: r.mean.pearson,
    spearman_wmean: r.wmean.spearman,
    pearson_wmean: r.wmean.pearson,
    spearman_pooled: r.pooled.spearman,
    pearson_pooled: r.pooled.pearson,
  };
  for (const d of r.datasets) {
    m[`spearman_${d.name}`] = d.spearman;
    m[`pearson_${d.name}`] = d.pearson;
  }
  return m;
}
