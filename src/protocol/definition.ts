/**
 * A protocol as a registered definition (src/protocol/registry.ts), as encoders are: its name, what it
 * asks of a task, the metrics it produces, the settings that change its numbers, and its run.
 * Dispatch, task validation, the task fingerprint, rounding, reports and the results reader all read
 * from the definition, so adding a protocol is adding one module under src/protocol/protocols/ and
 * its line in the registry.
 *
 * Protocols know tasks only through `ProtocolTask`, the part of a task definition they read; the task
 * layer validates its files against the protocols, not the other way round.
 */
import type { FeatureMatrix, FeatureScheme } from '../features/source.js';
import type { ProbeBackend } from './backend.js';
import type { ProtocolSettings } from './settings.js';
import { npMean } from './npmean.js';

/** How a task's examples are turned into probe features (see src/features/source.ts). */
export type { FeatureScheme };

/** Per-task knobs of SentEval's task code (SNLI: no L2 search, 15 epochs, epoch_size 1). */
export interface ProtocolOverrides {
  readonly noreg?: boolean;
  readonly maxEpoch?: number;
  readonly epochSize?: number;
}

/** What a protocol reads of a task definition (a `TaskDefinition` is one). */
export interface ProtocolTask {
  readonly id: string;
  readonly protocol: string;
  readonly features: FeatureScheme;
  /** Classes of a classification task; relatedness: the 5 of Tai et al.'s encoding; 0 for cosine scoring. */
  readonly nclasses: number;
  readonly labels: readonly string[];
  /** Split name → source; the names are what protocols read (`all`, `train`, `test_mismatched`, `MSRpar`). */
  readonly splits: Readonly<Record<string, unknown>>;
  readonly scoreRange?: readonly [number, number];
  /** A split carved out of another at load time (MultiNLI's dev). */
  readonly heldOut?: { readonly to: string };
  readonly protocolOverrides?: ProtocolOverrides;
  /** Optional metrics the task asks for (MRPC's F1). */
  readonly extraMetrics?: readonly string[];
}

/** Probe features and labels (class index or gold score) per split, in SentEval's order. */
export type TaskFeatures = Readonly<Record<string, { readonly X: FeatureMatrix; readonly y: readonly number[] }>>;

export interface SplitPredictions {
  readonly split: string;
  readonly kind: 'class' | 'score';
  readonly gold: readonly number[];
  /** Class index, or for scores the predicted score (expected score, or the pair's cosine). */
  readonly pred: readonly number[];
  /** Class probabilities per example, [n, nclasses] row-major (when asked for). */
  readonly probabilities?: Float64Array;
}

/** What model selection chose: the L2 penalty (per outer fold for inner k-fold) and epochs trained. */
export interface FitChoice {
  /** One value, or one per outer fold (inner k-fold); absent for relatedness (no L2 search). */
  readonly l2?: number | readonly number[];
  readonly epochs: number | readonly number[];
}

export interface ProtocolOutcome {
  /** Unrounded; the run rounds each by its kind (src/protocol/metrics.ts). */
  readonly metrics: Record<string, number>;
  /** Absent for protocols without a fitted probe. */
  readonly fit?: FitChoice;
  readonly notes: string[];
  readonly predictions: SplitPredictions[];
}

export type ProgressFn = (done: number, total: number) => void;

/** One run of a protocol on one task's features, for one seed. */
export interface ProtocolRun {
  readonly task: ProtocolTask;
  readonly features: TaskFeatures;
  readonly settings: ProtocolSettings;
  readonly seed: number;
  readonly onProgress?: ProgressFn;
  /** Also compute the kept models' class probabilities (prediction sidecars). */
  readonly probabilities?: boolean;
  /** Where probes train (default: the CPU worker pool). */
  readonly backend?: ProbeBackend;
}

/** A metric a protocol produces for a task: its key (kind from src/protocol/metrics.ts) and role. */
export interface MetricSpec {
  readonly key: string;
  /** The metric that ranks the task unless its definition names another. */
  readonly main?: boolean;
  /** Only computed when the task lists it in `extraMetrics`. */
  readonly optional?: boolean;
  /** One of several sets' values (a dataset's or a split's), kept out of one-line summaries. */
  readonly perSet?: boolean;
  /** Produced under some settings only (the relatedness dev statistic). */
  readonly when?: (s: ProtocolSettings) => boolean;
}

export type SettingKey = Exclude<keyof ProtocolSettings, 'config'>;

/**
 * A metric computed over several prediction sets at once (an STS year's `all`): a correlation per set
 * combined by `over` (`mean`: np.mean; `wmean`: np.average weighted by the sets' sizes), or one
 * correlation over the pooled sets. The run and `compare`'s bootstrap both combine through
 * `combineSets`.
 */
export interface SetAggregate {
  readonly key: string;
  readonly stat: 'pearson' | 'spearman';
  readonly over: 'mean' | 'wmean' | 'pooled';
}

/** Combines the sets' values of one statistic as `over` says (not for `pooled`, which needs the pairs). */
export function combineSets(over: 'mean' | 'wmean', values: readonly number[], sizes: readonly number[]): number {
  if (over === 'mean') return npMean(values);
  // np.average(x, weights=w) = (x * w).sum() / w.sum()
  const wsum = sizes.reduce((s, n) => s + n, 0);
  return values.reduce((s, x, k) => s + x * sizes[k]!, 0) / wsum;
}

export interface ProtocolDefinition {
  readonly name: string;
  /** One line for docs and `gensen-eval tasks`. */
  readonly describe: string;
  /** What produces its numbers, as report notes name it ("SentEval's relatedness trainer (…)"). */
  readonly trainer: string;
  /** What a split's labels are: class indices or gold scores. */
  readonly labels: 'class' | 'score';
  /** The feature schemes it accepts. */
  readonly features: readonly FeatureScheme[];
  /**
   * `standard`: all, train, dev, test and test_<name> splits, listed in that order; `datasets`: one
   * split per dataset, named by the task and kept in the definition's order (an STS year).
   */
  readonly splitNames: 'standard' | 'datasets';
  /** False when nothing is drawn at random: one pass whatever `--seeds`, no seed spread. */
  readonly seeded: boolean;
  /** Whether it fits probes (memory estimate, progress wording, probe counts). */
  readonly trainsProbes: boolean;
  /** The per-task knobs (`protocolOverrides`) a task file may set for it. */
  readonly overrides: readonly (keyof ProtocolOverrides)[];
  /** The settings that change its numbers: they make the task fingerprint. */
  readonly settings: readonly SettingKey[];
  /** Everything it can produce for this task, under any settings. */
  metrics(task: ProtocolTask): readonly MetricSpec[];
  /** What it needs of a task definition beyond the common checks; a message, or undefined when fine. */
  checkTask(task: ProtocolTask): string | undefined;
  /** Metrics over all of a task's prediction sets at once (an STS year's `all`), when it has such. */
  readonly aggregates?: readonly SetAggregate[];
  /** The metric key that scores a prediction set (a sidecar's split) with `family` (`acc`, `pearson`). */
  setMetric(family: string, set: string): string;
  run(r: ProtocolRun): Promise<ProtocolOutcome>;
}

/** A split's features, or an error naming what the protocol needed. */
export function needSplit(r: ProtocolRun, name: string): { readonly X: FeatureMatrix; readonly y: readonly number[] } {
  const s = r.features[name];
  if (!s) throw new Error(`task ${r.task.id}: protocol ${r.task.protocol} needs a '${name}' split`);
  return s;
}
