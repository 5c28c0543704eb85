/**
 * SentEval's unsupervised STS protocol (senteval/sts.py, STSEval.run; PROTOCOL.md section 2): no
 * probe and no seed. Per dataset of a year, the score of a pair is the cosine of its two sentence
 * vectors (NaN, from a zero vector, mapped to 0), correlated with the gold scores by scipy's
 * Pearson and Spearman; `all` is the plain and the sample-weighted mean over the datasets, and the
 * pooled correlation of every scored pair of the year (which SimCSE-era tables also quote).
 */
import { pearson, spearman } from '../../stats/index.js';
import type { Matrix } from '../../util/matrix.js';
import { isStoreMatrix, type FeatureMatrix } from '../../features/source.js';
import type { ProtocolDefinition, ProtocolRun, SetAggregate } from '../definition.js';
import { combineSets, needSplit } from '../definition.js';
import { metricKey } from '../metrics.js';
import { withArticle } from '../../util/english.js';

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
  /** The year's `all` aggregates under their metric keys (yearAggregates). */
  readonly all: Readonly<Record<string, number>>;
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
  return { datasets: results, all: yearAggregates(results, { pearson: pearson(allScores, allGold), spearman: spearman(allScores, allGold) }) };
}

/** One dataset's correlations and size: what a year's `all` is made of. */
export interface SetCorrelations {
  readonly n: number;
  readonly pearson: number;
  readonly spearman: number;
}

/**
 * SentEval's `all` of a year, under the year's metric keys: `spearman`/`pearson` the plain mean over
 * the datasets, `_wmean` the sample-weighted mean, `_pooled` one correlation over every pair of the
 * year.
 */
export const YEAR_AGGREGATES: readonly SetAggregate[] = [
  { key: 'spearman', stat: 'spearman', over: 'mean' },
  { key: 'pearson', stat: 'pearson', over: 'mean' },
  { key: metricKey('spearman', 'wmean'), stat: 'spearman', over: 'wmean' },
  { key: metricKey('pearson', 'wmean'), stat: 'pearson', over: 'wmean' },
  { key: metricKey('spearman', 'pooled'), stat: 'spearman', over: 'pooled' },
  { key: metricKey('pearson', 'pooled'), stat: 'pearson', over: 'pooled' },
];

/** The year's `all` values from its datasets' correlations and the pooled ones (the caller has the pairs). */
export function yearAggregates(sets: readonly SetCorrelations[], pooled: { readonly pearson: number; readonly spearman: number }): Record<string, number> {
  const sizes = sets.map((d) => d.n);
  const out: Record<string, number> = {};
  for (const a of YEAR_AGGREGATES) {
    out[a.key] =
      a.over === 'pooled'
        ? pooled[a.stat]
        : combineSets(
            a.over,
            sets.map((d) => d[a.stat]),
            sizes,
          );
  }
  return out;
}

/** The year's metrics: its `all` aggregates, then `<stat>_<dataset>` for each dataset. */
export function stsMetrics(r: StsYearResult): Record<string, number> {
  const m: Record<string, number> = { ...r.all };
  for (const d of r.datasets) {
    m[metricKey('spearman', d.name)] = d.spearman;
    m[metricKey('pearson', d.name)] = d.pearson;
  }
  return m;
}

/** The two halves of `pair` features ([u, v] per row) as separate matrices. */
export function splitPair(r: ProtocolRun, X: FeatureMatrix): { u: Matrix; v: Matrix } {
  if (!isStoreMatrix(X) || X.pairs.scheme !== 'pair') throw new Error(`task ${r.task.id}: ${r.task.protocol} needs "pair" features`);
  const { store, a, b } = X.pairs;
  const d = store.dim;
  const u = new Float32Array(X.rows * d);
  const v = new Float32Array(X.rows * d);
  for (let i = 0; i < X.rows; i++) {
    store.readRow(a[i]!, u, i * d);
    store.readRow(b[i]!, v, i * d);
  }
  return { u: { rows: X.rows, cols: d, data: u }, v: { rows: X.rows, cols: d, data: v } };
}

/** What a cosine-scoring protocol asks of a task: scored pairs and no classes. */
export function checkCosineTask(task: ProtocolRun['task']): string | undefined {
  if (task.nclasses !== 0) return `${withArticle(task.protocol)} task has no classes ("nclasses": 0)`;
  if (task.labels.length !== 0) return `${withArticle(task.protocol)} task has no class labels ("labels": [])`;
  if (task.scoreRange === undefined) return `${withArticle(task.protocol)} task needs "scoreRange": [min, max]`;
  return undefined;
}

export const unsupervisedSts: ProtocolDefinition = {
  name: 'unsupervised-sts',
  describe: "SentEval's STSEval: the cosine of the two sentence vectors per pair, Pearson and Spearman per dataset of a year, no training",
  trainer: 'cosine scoring (no probe)',
  labels: 'score',
  features: ['pair'],
  splitNames: 'datasets',
  seeded: false,
  trainsProbes: false,
  overrides: [],
  // Cosine scoring has no probe settings: every preset gives the same numbers. A rounded store does change them.
  settings: ['featureDtype'],
  aggregates: YEAR_AGGREGATES,
  metrics: (task) => [
    ...YEAR_AGGREGATES.map((a) => ({ key: a.key, ...(a.key === 'spearman' ? { main: true } : {}) })),
    ...Object.keys(task.splits).flatMap((ds) => [
      { key: metricKey('spearman', ds), perSet: true },
      { key: metricKey('pearson', ds), perSet: true },
    ]),
  ],
  checkTask(task) {
    for (const name of Object.keys(task.splits)) {
      // One split per dataset of the year, named as SentEval names it (MSRpar, surprise.OnWN, deft-forum).
      if (!/^[A-Za-z][A-Za-z0-9.-]*$/.test(name) || ['all', 'train', 'dev', 'test'].includes(name) || ['wmean', 'pooled'].includes(name)) {
        return `split name "${name}" must be a dataset name (letters, digits, dots, dashes), not all/train/dev/test/wmean/pooled`;
      }
    }
    return checkCosineTask(task);
  },
  setMetric: (family, set) => metricKey(family, set),
  async run(r) {
    // No probe: the seed and the probe settings play no part. Datasets in the definition's order.
    const datasets: StsDataset[] = Object.keys(r.task.splits).map((name) => {
      const s = needSplit(r, name);
      return { name, ...splitPair(r, s.X), gold: s.y };
    });
    const res = runUnsupervisedSts(datasets);
    r.onProgress?.(1, 1);
    return {
      metrics: stsMetrics(res),
      notes: [],
      predictions: res.datasets.map((d, k) => ({ split: d.name, kind: 'score', gold: [...datasets[k]!.gold], pred: [...d.scores] })),
    };
  },
};
