import { existsSync, readFileSync } from 'node:fs';
import type { SentenceEncoder } from '../encoders/types.js';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  resultsUnits,
  RESULTS_SCHEMA_VERSION,
  type ProtocolSettings,
  type RunEnvironment,
  type RunResults,
  type ShardInfo,
  type TaskResult,
} from '../results/schema.js';
import { gitCommit } from '../util/git-commit.js';
import { loadTask } from '../tasks/load.js';
import type { TaskData } from '../tasks/types.js';
import type { TaskDefinition } from '../tasks/registry.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { redactSecrets } from '../util/redact.js';
import { canonicalJson, sha256, sha256File } from '../util/hash.js';
import { join } from 'node:path';
import { packageInfo } from '../util/package-info.js';
import type { FeatureCache } from './feature-cache.js';
import { fmtMetric, fmtSeconds, type ProgressSink } from './progress.js';
import type { TaskPredictionSet } from './run-task.js';
import { PROTOCOL_IMPLEMENTATION, runTask, taskContext } from './run-task.js';
import { checkMemory, estimateTask } from './memory.js';
import { probePool } from '../protocol/pool.js';
import type { ProbeBackend } from '../protocol/backend.js';
import { cpuDevice } from '../compute/device.js';
import { RunStores, sentenceSet } from './run-stores.js';

export interface EvaluateOptions {
  readonly tasks: readonly TaskDefinition[];
  readonly dataDir: string;
  readonly settings: ProtocolSettings;
  /** The first seed is the run's seed; more than one records the spread over seeds. */
  readonly seeds: readonly number[];
  /** Results file; written atomically after every finished task. */
  readonly outPath?: string;
  readonly resume?: boolean;
  readonly devAsTrain?: boolean;
  /** Bytes the run may use (default: what the system has available); for tests of the refusal. */
  readonly availableMemory?: number;
  /** Task data already read (by `loadTasks`), so a bad data file stops a run before the encoder loads. */
  readonly preloaded?: ReadonlyMap<string, TaskData>;
  readonly command?: readonly string[];
  /** `--device` as the user gave it (recorded); what ran is read from the encoder and `probeBackend`. */
  readonly device?: string;
  /** Where probes train (default: the CPU worker pool). The caller closes it. */
  readonly probeBackend?: ProbeBackend;
  readonly cache?: FeatureCache;
  readonly progress: ProgressSink;
  /** Things the user must see even without progress output (default: the progress log). */
  readonly onWarning?: (message: string) => void;
  /** Called with each finished task's test predictions (for `--save-predictions`). */
  readonly onPredictions?: (task: string, predictions: readonly TaskPredictionSet[]) => Promise<string | undefined>;
  /** Recorded in the file when the task list is one shard of a larger one (`--shard K/N`). */
  readonly shard?: ShardInfo;
}

/** Node, cores, harness commit and the absolute data folder, recorded in every results file. */
export function runEnvironment(dataDir: string): RunEnvironment {
  const commit = gitCommit(packageInfo().root);
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    ...(commit ? { gitCommit: commit } : {}),
    dataDir: resolve(dataDir),
  };
}

export function protocolFingerprint(settings: ProtocolSettings): string {
  return sha256(canonicalJson({ implementation: PROTOCOL_IMPLEMENTATION, settings: { ...settings, config: undefined } }));
}

/** Run the tasks in order; returns the results document (also written to `outPath` as it grows). */
export async function evaluate(encoder: SentenceEncoder, opts: EvaluateOptions): Promise<RunResults> {
  if (opts.seeds.length === 0) throw new UserError('at least one seed is needed');
  const pkg = packageInfo();
  const backend = opts.probeBackend ?? probePool();
  const header: Omit<RunResults, 'tasks'> = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: pkg.name, version: pkg.version, protocolImplementation: PROTOCOL_IMPLEMENTATION },
    createdAt: new Date().toISOString(),
    seed: opts.seeds[0]!,
    command: (opts.command ?? []).map(redactSecrets),
    protocol: opts.settings,
    protocolFingerprint: protocolFingerprint(opts.settings),
    encoder: encoder.identity,
    ...(opts.device ? { device: opts.device } : {}),
    devices: { encode: encoder.computeDevice ?? cpuDevice(availableParallelism()), probes: backend.device },
    units: {},
    environment: runEnvironment(opts.dataDir),
    ...(opts.shard ? { shard: opts.shard } : {}),
  };
  const tasks: Record<string, TaskResult> = {};
  if (opts.outPath && opts.resume && existsSync(opts.outPath)) {
    const prev = readPrevious(opts.outPath);
    assertResumable(opts.outPath, prev, header, opts.seeds);
    Object.assign(tasks, prev.tasks);
    const warn = opts.onWarning ?? ((m: string) => opts.progress.log(m));
    for (const def of opts.tasks) {
      const t = tasks[def.id];
      if (!t) continue;
      const changed = await changedDataFiles(opts.dataDir, t.dataFiles ?? []);
      if (changed.length > 0) {
        warn(`${def.id}: ${changed.join(', ')} changed since ${opts.outPath} recorded it; running ${def.id} again (--resume)`);
        delete tasks[def.id];
      }
    }
  }

  const write = () => {
    if (opts.outPath) writeFileAtomic(opts.outPath, `${JSON.stringify({ ...header, units: resultsUnits(tasks), tasks }, null, 2)}\n`);
  };
  // Read every task's files before encoding anything: a missing or malformed file should stop the
  // run at once, not after an hour of work on the tasks before it.
  const todo = opts.tasks.filter((def) => {
    if (!tasks[def.id]) return true;
    opts.progress.log(`${def.id}: already in ${opts.outPath}, skipped (--resume)`);
    return false;
  });
  const loaded: TaskData[] = [];
  for (const def of todo) {
    opts.progress.status?.(`reading ${def.id} from ${opts.dataDir}…`);
    loaded.push(opts.preloaded?.get(def.id) ?? (await loadTask(def, opts.dataDir, { devAsTrain: opts.devAsTrain ?? false })));
  }
  const dtype = opts.settings.featureDtype ?? 'float32';
  const workers = backend.concurrency;
  checkMemory(
    todo.map((def, i) => estimateTask(def, loaded[i]!, encoder.identity.dim, dtype, encoder.batchIndependent === true, workers, opts.settings.nhid)),
    encoder.identity.dim,
    dtype,
    opts.availableMemory,
  );
  opts.progress.status?.(`preparing the ${encoder.identity.name} encoder for ${todo.length} task(s)…`);
  await encoder.prepareRun?.(todo.map((def, i) => taskContext(def, loaded[i]!)));
  // Tasks that read the same sentences (SICK-E and SICK-R) encode them once per run: neighbours in
  // the run reading the same files, with an encoder whose vectors do not depend on the batch (a
  // batch-dependent one batches each task in its own sorted order, so nothing would match). Only
  // neighbours share, so a store is never held across other tasks (the memory check counts one
  // store at a time); the others get a set of their own without hashing every sentence.
  const filesOf = loaded.map((d) => [...d.files].sort().join('\n'));
  const sets = loaded.map((d, i) => {
    if (encoder.batchIndependent !== true || (filesOf[i] !== filesOf[i - 1] && filesOf[i] !== filesOf[i + 1])) return `task ${i}`;
    let first = i;
    while (first > 0 && filesOf[first - 1] === filesOf[i]) first--;
    return `${sentenceSet(d.splits)} (tasks from ${first})`;
  });
  const stores = new RunStores(sets);
  for (const [i, def] of todo.entries()) {
    const data = loaded[i]!;
    opts.progress.startTask?.(i + 1, todo.length, def.id);
    const run = await runTask(def, data, {
      encoder: encoder,
      settings: opts.settings,
      seeds: opts.seeds,
      dataDir: opts.dataDir,
      ...(opts.cache ? { cache: opts.cache } : {}),
      progress: opts.progress,
      probabilities: opts.onPredictions !== undefined,
      backend,
      shared: { stores, set: sets[i]! },
    });
    stores.finished(sets[i]!);
    let result = run.result;
    if (opts.onPredictions) {
      const file = await opts.onPredictions(def.id, run.predictions);
      if (file) result = { ...result, predictionsFile: file };
    }
    tasks[def.id] = result;
    write();
    const main = result.metrics[result.mainMetric];
    opts.progress.log(`${def.id}: ${result.mainMetric} ${main === undefined ? '–' : fmtMetric(main)} (${fmtSeconds(result.wallSeconds)})`);
  }
  if (encoder.notes().length > 0) {
    // Encoder notes (e.g. which vectors a vocabulary expansion used) travel with every task.
    for (const id of Object.keys(tasks)) {
      const t = tasks[id]!;
      const notes = [...new Set([...(t.notes ?? []), ...encoder.notes().map(redactSecrets)])];
      tasks[id] = { ...t, notes };
    }
  }
  write();
  return { ...header, units: resultsUnits(tasks), tasks };
}

/** Reads every task's files (one line for the first bad one), to hand to `evaluate` as `preloaded`. */
export async function loadTasks(defs: readonly TaskDefinition[], dataDir: string, devAsTrain = false): Promise<Map<string, TaskData>> {
  const out = new Map<string, TaskData>();
  for (const def of defs) out.set(def.id, await loadTask(def, dataDir, { devAsTrain }));
  return out;
}

/** The recorded data files whose content is no longer what the results were computed from. */
async function changedDataFiles(dataDir: string, files: readonly { path: string; sha256: string }[]): Promise<string[]> {
  const changed: string[] = [];
  for (const f of files) {
    const p = join(dataDir, f.path);
    let now: string | undefined;
    try {
      now = existsSync(p) ? await sha256File(p) : undefined;
    } catch {
      now = undefined;
    }
    if (now !== f.sha256) changed.push(now === undefined ? `${f.path} (now missing or unreadable)` : f.path);
  }
  return changed;
}

function readPrevious(path: string): RunResults {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunResults;
  } catch (e) {
    throw new UserError(`cannot resume from ${path}: not a readable results file (${(e as Error).message})`);
  }
}

function assertResumable(path: string, prev: RunResults, next: Omit<RunResults, 'tasks'>, seeds: readonly number[]): void {
  const why: string[] = [];
  if (prev.protocolFingerprint !== next.protocolFingerprint) {
    const a = (prev.protocol ?? {}) as unknown as Record<string, unknown>;
    const b = next.protocol as unknown as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((k) => k !== 'config' && canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null))
      .sort();
    why.push(
      keys.length
        ? `the probe settings differ (${keys.map((k) => `${k}: ${JSON.stringify(a[k])} there, ${JSON.stringify(b[k])} now`).join('; ')})`
        : 'the probe settings differ (the protocol implementation changed)',
    );
  }
  if (canonicalJson(prev.encoder) !== canonicalJson(next.encoder)) why.push('the encoder differs');
  // A different seed list is a different run: its tasks' numbers are other means (a single-seed task
  // records no list; its list is the run's seed). Every task is checked, not only the first.
  const lists = new Set(Object.values(prev.tasks ?? {}).map((t) => (t.seeds ?? [prev.seed]).join(',')));
  const now = seeds.join(',');
  const other = [...lists].find((l) => l !== now);
  if (other !== undefined) why.push(`the seed list differs (${other} there, ${now} now: another seed list is another run)`);
  else if (prev.seed !== next.seed) why.push(`the seed differs (${prev.seed} there)`);
  if (why.length > 0) {
    throw new UserError(`cannot resume ${path}: ${why.join('; ')}; choose another --out or drop --resume`);
  }
}
