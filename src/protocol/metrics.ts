/**
 * What every metric a protocol produces is: the one place a metric's kind is stated. A kind says a
 * value's unit (written into results files), its range (checked when a file is read), its display
 * scale (reports show correlations ×100, so one tolerance or difference reads the same in every
 * column) and the resolution results files keep. Protocols name the metrics they produce by key
 * (src/protocol/protocols/*); everything else — the results writer and reader, reports, the gate,
 * the terminal summary — asks this module what a key is.
 */
import { pyRound } from './pyround.js';

export type MetricKindName = 'percent' | 'correlation' | 'squared-error';

export interface MetricKind {
  readonly name: MetricKindName;
  /** Written into every results file's `units`. */
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /** What a value is, for messages ('a correlation'). */
  readonly what: string;
  /** Reports show `value × displayScale` ("points"). */
  readonly displayScale: number;
  /**
   * Decimals a results file keeps of one run's value: accuracies are SentEval's round(100·acc, 2);
   * correlations and MSE get the same resolution as a fraction (4 decimals), far below any
   * reported precision, so files and logs carry no float noise.
   */
  readonly decimals: number;
}

export const METRIC_KINDS: Readonly<Record<MetricKindName, MetricKind>> = {
  percent: { name: 'percent', unit: 'percent', min: 0, max: 100, what: 'a percentage', displayScale: 1, decimals: 2 },
  correlation: { name: 'correlation', unit: 'fraction (correlation, -1..1)', min: -1, max: 1, what: 'a correlation', displayScale: 100, decimals: 4 },
  'squared-error': {
    name: 'squared-error',
    unit: 'squared gold-score units',
    min: 0,
    max: Number.MAX_VALUE,
    what: 'a mean squared error',
    displayScale: 1,
    decimals: 4,
  },
};

/** Means over seeds keep more decimals than one run's value: they are estimates, not SentEval outputs. */
export const MEAN_DECIMALS = 6;

/**
 * Every metric family, by its base key. A key is its family, optionally followed by `_` and the set
 * it was computed on or the aggregate it is (`acc_mismatched`, `spearman_MSRpar`,
 * `pearson_pooled`): the kind is the family's.
 */
export const METRIC_FAMILIES: Readonly<Record<string, { readonly kind: MetricKindName; readonly describe: string }>> = {
  acc: { kind: 'percent', describe: 'test accuracy' },
  devacc: { kind: 'percent', describe: 'accuracy of the model selection (validation) sets' },
  f1: { kind: 'percent', describe: 'F1 of the positive class' },
  pearson: { kind: 'correlation', describe: "Pearson's r" },
  spearman: { kind: 'correlation', describe: "Spearman's rho" },
  devpearson: { kind: 'correlation', describe: "dev Pearson's r the probe early-stopped on" },
  devspearman: { kind: 'correlation', describe: "dev Spearman's rho the probe early-stopped on" },
  mse: { kind: 'squared-error', describe: 'mean squared error of the expected score' },
};

/** `acc_mismatched` → `acc`. */
export function metricFamily(key: string): string {
  const i = key.indexOf('_');
  return i < 0 ? key : key.slice(0, i);
}

/** The metric of a family computed on a named set or aggregate: `metricKey('spearman', 'MSRpar')`. */
export function metricKey(family: string, qualifier?: string): string {
  return qualifier ? `${family}_${qualifier}` : family;
}

/** The kind of a metric key; undefined for a key no protocol produces (files from elsewhere). */
export function metricKind(key: string): MetricKind | undefined {
  const f = METRIC_FAMILIES[metricFamily(key)];
  return f ? METRIC_KINDS[f.kind] : undefined;
}

export function isCorrelation(key: string): boolean {
  return metricKind(key)?.name === 'correlation';
}

/** A stored value in display points (percent, correlations ×100). */
export function toDisplay(key: string, value: number): number {
  return value * (metricKind(key)?.displayScale ?? 1);
}

/** One run's value at the resolution results files keep (Python's round, as SentEval rounds). */
export function roundMetric(key: string, value: number): number {
  const k = metricKind(key);
  return k ? pyRound(value, k.decimals) : value;
}

/** `units` of a results file: the unit of each metric key it holds. */
export function metricUnits(keys: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [...new Set(keys)].sort()) {
    const k = metricKind(key);
    if (k) out[key] = k.unit;
  }
  return out;
}
