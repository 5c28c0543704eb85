/**
 * The results file written by `evaluate` (one JSON document per run). Version 1.
 * Readers must accept files without the optional fields (they were added after version 1 shipped
 * or are only written on request).
 */
import type { DeviceRecord } from '../compute/device.js';
import type { EncoderIdentity } from '../encoders/types.js';
import type { ProtocolSettings } from '../protocol/settings.js';
import type { FitChoice } from '../protocol/definition.js';
import { metricUnits } from '../protocol/metrics.js';

export const RESULTS_SCHEMA_VERSION = 1;

export interface DataFileChecksum {
  /** Path relative to the data folder, e.g. `MR/rt-polarity.pos`. */
  readonly path: string;
  readonly sha256: string;
}

export type { ProtocolSettings } from '../protocol/settings.js';

/**
 * A results file's `units`: the unit of every metric key its tasks hold (the kinds are stated once,
 * in src/protocol/metrics.ts) and of the timings.
 */
export function resultsUnits(tasks: Readonly<Record<string, TaskResult>>): Record<string, string> {
  return { ...metricUnits(Object.values(tasks).flatMap((t) => Object.keys(t.metrics))), wallSeconds: 'seconds', encodeSeconds: 'seconds' };
}

/** Where and with what a run was made: enough to tell two machines' results files apart. */
export interface RunEnvironment {
  /** `process.version`, e.g. v20.11.0. */
  readonly node: string;
  readonly platform: string;
  /** Cores available to the process (`os.availableParallelism()`). */
  readonly cpus: number;
  /** Commit of the gensen-eval checkout that ran, when it runs from a git work tree. */
  readonly gitCommit?: string;
  /** Absolute data folder the tasks were read from. */
  readonly dataDir: string;
}

/** What model selection chose for a task (first seed): L2 penalty and epochs trained. */
export type TaskFit = FitChoice;

/** `evaluate --shard K/N`: which part of the task list this file holds. */
export interface ShardInfo {
  readonly index: number;
  readonly count: number;
  /** The whole task list the shards split, in order. */
  readonly of: readonly string[];
}

export interface TaskResult {
  readonly task: string;
  readonly protocol: string;
  /** e.g. devacc, acc, f1, devspearman (or devpearson), pearson, spearman, mse. Accuracies in percent. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Name of the metric that ranks this task (a key of `metrics`). */
  readonly mainMetric: string;
  /** Samples per split: train, dev, test, all, and extra test sets (test_mismatched). */
  readonly samples: Readonly<Record<string, number>>;
  readonly wallSeconds: number;
  readonly encodeSeconds: number;
  /**
   * The task's sentence store: rows (distinct sentences, or occurrences for a batch-dependent
   * encoder), the sentence occurrences they serve, and the bytes it took.
   */
  readonly store?: { readonly rows: number; readonly occurrences: number; readonly dim: number; readonly dtype: string; readonly bytes: number };
  /** Probes fitted (all seeds), for throughput figures. */
  readonly probes?: number;
  readonly dataFiles: readonly DataFileChecksum[];
  /** sha256 of the task's protocol settings + data checksums. */
  readonly fingerprint: string;
  readonly notes?: readonly string[];
  /** Per-seed main scores and their spread, when the run used several seeds. */
  readonly seeds?: readonly number[];
  readonly perSeed?: readonly Readonly<Record<string, number>>[];
  readonly spread?: Readonly<Record<string, { mean: number; std: number; min: number; max: number }>>;
  /** File (relative to the results file) holding per-example test predictions. */
  readonly predictionsFile?: string;
  /** Chosen L2 and epochs (first seed). */
  readonly fit?: TaskFit;
}

export interface RunDevices {
  readonly encode: DeviceRecord;
  readonly probes: DeviceRecord;
}

export interface RunResults {
  readonly schemaVersion: number;
  /**
   * What wrote the file. `protocolImplementation` (recorded since 0.2.0) names how the harness
   * computes a protocol; it is part of every fingerprint, so it tells why two runs with the same
   * settings are not comparable.
   */
  readonly tool: { readonly name: string; readonly version: string; readonly protocolImplementation?: string };
  readonly createdAt: string;
  readonly seed: number;
  readonly command: readonly string[];
  readonly protocol: ProtocolSettings;
  readonly protocolFingerprint: string;
  readonly encoder: EncoderIdentity;
  /** `--device` as given: cpu, gpu or auto. */
  readonly device?: string;
  /** What ran each stage (an `auto` run says here which it got), with the GPU adapter's identity. */
  readonly devices?: RunDevices;
  /** Metric key → unit (see resultsUnits). */
  readonly units?: Readonly<Record<string, string>>;
  readonly environment?: RunEnvironment;
  readonly shard?: ShardInfo;
  /** Files `merge` combined into this one. */
  readonly mergedFrom?: readonly string[];
  readonly tasks: Readonly<Record<string, TaskResult>>;
}
