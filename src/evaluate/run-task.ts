import type { SentenceStore } from '../features/store.js';
import type { ProbeBackend } from '../protocol/backend.js';
import type { SentenceEncoder, TaskContext } from '../encoders/types.js';
import type { ProtocolSettings, TaskResult } from '../results/schema.js';
import type { TaskDefinition } from '../tasks/registry.js';
import type { SampleOrigin, Split, TaskData } from '../tasks/types.js';
import { canonicalJson, sha256, sha256File } from '../util/hash.js';
import { encodeStore, planStore, type EncodeStats } from './task-store.js';
import type { FeatureCache } from './feature-cache.js';
import type { RunStores } from './run-stores.js';
import { storeMatrix, type FeatureMatrix } from '../features/source.js';
import type { ProgressSink } from './progress.js';
import { runProtocol, type ProtocolOutcome, type SplitPredictions, type TaskFeatures } from '../protocol/dispatch.js';
import type { SettingKey } from '../protocol/definition.js';
import { MEAN_DECIMALS, roundMetric } from '../protocol/metrics.js';
import { protocolDefinition } from '../protocol/registry.js';
import { sentEvalOrder } from './sentEval-order.js';
import { join } from 'node:path';

/**
 * Bumped when the harness changes how numbers are produced, so fingerprints tell runs apart; bump
 * the package version with it, since results record both. /2 (0.2.0): protocols as registered
 * definitions, which changed what some fingerprints hold (split tasks' no longer hold kfold) and
 * rounded unsupervised STS values to 4 decimals.
 */
export const PROTOCOL_IMPLEMENTATION = 'gensen-eval-protocol/2';

export interface TaskRunContext {
  readonly encoder: SentenceEncoder;
  readonly settings: ProtocolSettings;
  readonly seeds: readonly number[];
  readonly dataDir: string;
  readonly cache?: FeatureCache;
  readonly progress: ProgressSink;
  /** Class probabilities for the prediction sidecars (first seed only). */
  readonly probabilities?: boolean;
  /** Where probes train (default: the CPU worker pool). */
  readonly backend?: ProbeBackend;
  /** Stores shared between the run's tasks, and this task's sentence set (run-stores.ts). */
  readonly shared?: { readonly stores: RunStores; readonly set: string };
}

/** A protocol's prediction set, joined back to the data: each example's file and line, and the class names. */
export interface TaskPredictionSet extends SplitPredictions {
  readonly origin?: SampleOrigin;
  readonly labels?: readonly string[];
}

export interface TaskRun {
  readonly result: TaskResult;
  /** Per-example test predictions of the first seed, in SentEval's sorted order. */
  readonly predictions: readonly TaskPredictionSet[];
}

/** What SentEval's `prepare` sees of a task: every sample of every split, both sides of pairs. */
export function taskContext(def: TaskDefinition, data: TaskData): TaskContext {
  const samples: string[][] = [];
  for (const split of Object.values(data.splits)) {
    // A loop, not push(...a): MultiNLI's 392,702 rows overflow the call stack as spread arguments.
    for (const t of split.a) samples.push(t);
    if (split.b) for (const t of split.b) samples.push(t);
  }
  return { taskId: def.id, samples, encoderHints: def.encoderHints ?? {} };
}

/** Each split's probe features (and where its examples were read, for the sidecars). */
type EncodedTask = Readonly<Record<string, TaskFeatures[string] & { readonly origin?: SampleOrigin }>>;

export async function encodeTask(def: TaskDefinition, data: TaskData, ctx: TaskRunContext, stats: EncodeStats): Promise<EncodedTask> {
  const task = taskContext(def, data);
  const taskState = await ctx.encoder.prepare(task);
  const ordered: Record<string, Split> = {};
  for (const name of Object.keys(data.splits).sort()) ordered[name] = sentEvalOrder(data.splits[name]!, def.sortKey, def.labels);
  let plan = planStore(ordered, ctx.encoder.batchIndependent === true);
  const dtype = ctx.settings.featureDtype ?? 'float32';
  const spec = { identity: ctx.encoder.identity, taskState, batchSize: plan.distinct ? undefined : ctx.settings.encoderBatchSize, dtype };
  const earlier = ctx.shared?.stores.find(ctx.shared.set, spec, plan);
  let store: SentenceStore;
  if (earlier) {
    ({ store, plan } = earlier);
    stats.store = { rows: store.rows, occurrences: plan.occurrences, dim: store.dim, dtype, bytes: store.bytes };
    stats.sentences += plan.occurrences;
    stats.fromRun = (stats.fromRun ?? 0) + plan.occurrences;
  } else {
    store = await encodeStore(plan, {
      encoder: ctx.encoder,
      taskState,
      batchSize: ctx.settings.encoderBatchSize,
      dtype,
      ...(ctx.cache ? { cache: ctx.cache } : {}),
      stats,
      onBatch: (d, t) => ctx.progress.update(def.id, 'encode', d, t),
    });
    ctx.shared?.stores.offer(ctx.shared.set, spec, plan, store);
  }
  const out: Record<string, { X: FeatureMatrix; y: number[]; origin?: SampleOrigin }> = {};
  for (const [name, split] of Object.entries(ordered)) {
    const idx = plan.index[name]!;
    if (def.features !== 'single' && !idx.b) throw new Error(`task ${def.id}: split ${name} has no second sentences for ${def.features} features`);
    // The probes combine store rows per minibatch: the 2x (MRPC, SICK, STS-B) or 4x (NLI) wider
    // pair features never exist whole.
    out[name] = { X: storeMatrix(def.features, store, idx.a, idx.b ?? idx.a), y: split.y, ...(split.origin ? { origin: split.origin } : {}) };
  }
  return out;
}

export async function runTask(def: TaskDefinition, data: TaskData, ctx: TaskRunContext): Promise<TaskRun> {
  const t0 = performance.now();
  const stats: EncodeStats = { sentences: 0, fromCache: 0, seconds: 0 };
  const features = await encodeTask(def, data, ctx, stats);
  if (stats.fromCache > 0) {
    // Counted in the unit of the progress line's "encode N sentences": the store's rows (distinct
    // sentences when the encoder is batch-independent), with the task's occurrences beside them.
    const rows = stats.store?.rows ?? stats.fromCache;
    const occ = stats.store?.occurrences ?? stats.sentences;
    ctx.progress.log(`${def.id}: ${rows} sentence vectors from the feature cache${rows !== occ ? ` (${occ} occurrences in the task)` : ''}`);
  }
  if (stats.fromRun) {
    ctx.progress.log(
      `${def.id}: ${stats.fromRun} of ${stats.sentences} sentence vectors from an earlier task of this run (same sentences, same encoder state)`,
    );
  }

  const protocol = protocolDefinition(def.protocol);
  const perSeed: Record<string, number>[] = [];
  let first: ProtocolOutcome | undefined;
  // A protocol that draws nothing at random runs once whatever the seeds, with no seed spread.
  const seeds = protocol.seeded ? ctx.seeds : ctx.seeds.slice(0, 1);
  let probes = 0;
  for (const seed of seeds) {
    const label = seeds.length > 1 ? `fit (seed ${seed})` : protocol.trainsProbes ? 'fit' : 'score';
    let total = 0;
    const outcome = await runProtocol(
      def,
      features,
      ctx.settings,
      seed,
      (d, t) => {
        total = t;
        ctx.progress.update(def.id, label, d, t);
      },
      { probabilities: (ctx.probabilities ?? false) && first === undefined, ...(ctx.backend ? { backend: ctx.backend } : {}) },
    );
    if (protocol.trainsProbes) probes += total;
    perSeed.push(roundMetrics(outcome.metrics));
    first ??= outcome;
  }

  const dataFiles = await Promise.all(data.files.map(async (path) => ({ path, sha256: await sha256File(join(ctx.dataDir, path)) })));
  const samples: Record<string, number> = {};
  for (const [name, split] of Object.entries(data.splits)) samples[name] = split.y.length;

  const metrics = seeds.length > 1 ? meanMetrics(perSeed) : perSeed[0]!;
  const result: TaskResult = {
    task: def.id,
    protocol: def.protocol,
    metrics,
    mainMetric: def.mainMetric,
    samples,
    wallSeconds: round((performance.now() - t0) / 1000, 3),
    encodeSeconds: round(stats.seconds, 3),
    ...(stats.store ? { store: stats.store } : {}),
    ...(probes > 0 ? { probes } : {}),
    dataFiles,
    fingerprint: taskFingerprint(def, ctx.settings, dataFiles),
    ...(data.notes.length > 0 || first!.notes.length > 0 ? { notes: [...data.notes, ...first!.notes] } : {}),
    ...(seeds.length > 1 ? { seeds: [...seeds], perSeed, spread: spreadOf(perSeed) } : {}),
    ...(first!.fit ? { fit: first!.fit } : {}),
  };
  // Sidecars join back to the data: each example's file and line, and the class names.
  const predictions = first!.predictions.map((p) => {
    const origin = features[p.split]?.origin;
    return { ...p, ...(origin ? { origin } : {}), ...(p.kind === 'class' && def.labels ? { labels: def.labels } : {}) };
  });
  return { result, predictions };
}

/**
 * The settings a protocol's numbers depend on (its definition says which), as recorded in the task
 * fingerprint: the relatedness trainer has its own fixed optimiser, batch and schedule, so the
 * classifier settings are not among them; cosine scoring has none but the store's storage type.
 */
export function settingsUsedBy(protocol: TaskDefinition['protocol'], s: ProtocolSettings): Partial<ProtocolSettings> {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const k of protocolDefinition(protocol).settings) if (s[k] !== undefined) out[k] = s[k];
  return out as Partial<ProtocolSettings>;
}

/** What must be equal for two runs of a task to be comparable (encoder aside). */
export function taskFingerprint(def: TaskDefinition, settings: ProtocolSettings, dataFiles: readonly { path: string; sha256: string }[]): string {
  return sha256(
    canonicalJson({
      implementation: PROTOCOL_IMPLEMENTATION,
      task: def.id,
      protocol: def.protocol,
      features: def.features,
      overrides: def.protocolOverrides ?? {},
      settings: settingsUsedBy(def.protocol, settings),
      dataFiles,
    }),
  );
}

/** Each value at its kind's resolution (src/protocol/metrics.ts): one rounding rule for every protocol. */
function roundMetrics(m: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) out[k] = roundMetric(k, v);
  return out;
}

function meanMetrics(perSeed: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(perSeed[0]!)) {
    out[k] = round(perSeed.reduce((s, m) => s + m[k]!, 0) / perSeed.length, MEAN_DECIMALS);
  }
  return out;
}

function spreadOf(perSeed: readonly Record<string, number>[]): Record<string, { mean: number; std: number; min: number; max: number }> {
  const out: Record<string, { mean: number; std: number; min: number; max: number }> = {};
  for (const k of Object.keys(perSeed[0]!)) {
    const xs = perSeed.map((m) => m[k]!);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    // Sample standard deviation (n-1): the spread is an estimate of seed noise.
    const std = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
    out[k] = { mean: round(mean, MEAN_DECIMALS), std: round(std, MEAN_DECIMALS), min: Math.min(...xs), max: Math.max(...xs) };
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
