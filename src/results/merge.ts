/**
 * `gensen-eval merge`: one results file from several runs of the same encoder under the same
 * protocol (typically the shards of `evaluate --shard K/N` run by a CI matrix). Files that were
 * measured differently are refused, never mixed: different protocol fingerprints, encoders, seeds,
 * or one task with two different records.
 */
import { dirname, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { LoadedResults } from './read.js';
import type { RunResults, TaskResult } from './schema.js';
import { predictionsRelPath, resolvePredictionsPath } from './predictions.js';
import { UserError } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';

export interface MergeOutcome {
  readonly results: RunResults;
  /** Things the user should know that do not stop the merge (a missing shard, mixed machines). */
  readonly warnings: readonly string[];
  /** Prediction sidecars to copy beside the merged file (sidecars must live in its folder). */
  readonly sidecars: readonly { readonly from: string; readonly to: string }[];
}

function settingsDiff(a: RunResults, b: RunResults): string {
  const pa = a.protocol as unknown as Record<string, unknown>;
  const pb = b.protocol as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].filter((k) => canonicalJson(pa[k] ?? null) !== canonicalJson(pb[k] ?? null)).sort();
  return keys.length ? keys.map((k) => `${k}: ${JSON.stringify(pa[k])} vs ${JSON.stringify(pb[k])}`).join('; ') : 'the protocol implementation differs';
}

function seedsOf(r: RunResults): string {
  const first = Object.values(r.tasks).find((t) => t.seeds);
  return canonicalJson(first?.seeds ?? [r.seed]);
}

/**
 * A sidecar moves to `<merged name>.predictions/<task>.json` beside the merged file: readers only
 * follow sidecar paths inside a results file's folder, so pointing back at the shards' folders
 * would make the merged file's sidecars unreadable. The source must lie inside its results file's
 * folder (the rule `compare` applies): a results file is data, and must not make merge copy
 * arbitrary files. The target is named after the task, so two tasks never share one.
 */
function rebasePredictions(task: string, t: TaskResult, from: string, outPath: string, sidecars: { from: string; to: string }[]): TaskResult {
  if (!t.predictionsFile) return t;
  const source = resolvePredictionsPath(from, t.predictionsFile);
  const rel = predictionsRelPath(outPath, task);
  sidecars.push({ from: source, to: resolve(dirname(resolve(outPath)), rel) });
  return { ...t, predictionsFile: rel };
}

export function mergeResults(files: readonly LoadedResults[], outPath: string): MergeOutcome {
  if (files.length < 2) throw new UserError('merge: name at least two results files');
  const [first, ...rest] = files;
  const base = first!.results;
  for (const f of rest) {
    const r = f.results;
    if (r.protocolFingerprint !== base.protocolFingerprint) {
      throw new UserError(
        `merge: ${f.path} was measured under another protocol than ${first!.path} (${settingsDiff(base, r)}); merge only runs of one protocol`,
      );
    }
    if (canonicalJson(r.encoder) !== canonicalJson(base.encoder)) {
      throw new UserError(
        `merge: ${f.path} is encoder ${r.encoder.name} ${canonicalJson(r.encoder.params)} but ${first!.path} is ${base.encoder.name} ${canonicalJson(base.encoder.params)}; merge only runs of one encoder`,
      );
    }
    if (seedsOf(r) !== seedsOf(base)) {
      throw new UserError(`merge: ${f.path} used seeds ${seedsOf(r)} but ${first!.path} ${seedsOf(base)}`);
    }
  }

  const tasks = new Map<string, { t: TaskResult; from: string }>();
  const sidecars: { from: string; to: string }[] = [];
  for (const f of files) {
    for (const [id, t] of Object.entries(f.results.tasks)) {
      const copy: { from: string; to: string }[] = [];
      const moved = rebasePredictions(id, t, f.path, outPath, copy);
      const had = tasks.get(id);
      if (had) {
        // The same record twice (a file merged again) is harmless; two different ones are not.
        const strip = (x: TaskResult) => canonicalJson({ ...x, wallSeconds: 0, encodeSeconds: 0 });
        if (strip(had.t) !== strip(moved)) {
          throw new UserError(`merge: task ${id} is in both ${had.from} and ${f.path} with different results; keep one of them`);
        }
        continue;
      }
      tasks.set(id, { t: moved, from: f.path });
      sidecars.push(...copy);
    }
  }

  const warnings: string[] = [];
  // Shards of one split: order the tasks as the full list, and say which shards are missing.
  const shards = files.map((f) => f.results.shard);
  let order = [...tasks.keys()];
  if (shards.every((s) => s !== undefined)) {
    const s0 = shards[0]!;
    if (shards.some((s) => s!.count !== s0.count || canonicalJson(s!.of) !== canonicalJson(s0.of))) {
      warnings.push('the files are shards of different splits (their --shard N or --tasks differ)');
    } else {
      const have = new Set(shards.map((s) => s!.index));
      const missing = Array.from({ length: s0.count }, (_, i) => i + 1).filter((k) => !have.has(k));
      if (missing.length) {
        const lost = s0.of.filter((id) => !tasks.has(id));
        warnings.push(`shard(s) ${missing.map((k) => `${k}/${s0.count}`).join(', ')} missing: the merged file lacks ${lost.join(', ')}`);
      }
      order = [...s0.of.filter((id) => tasks.has(id)), ...order.filter((id) => !s0.of.includes(id))];
    }
  }

  const envs = new Set(files.map((f) => canonicalJson(f.results.environment ?? null)));
  const { shard: _s, environment: _e, mergedFrom: _m, tasks: _t, ...header } = base;
  if (envs.size > 1) warnings.push('the files were made on different machines or checkouts (environment differs); the merged file keeps none');
  const results: RunResults = {
    ...header,
    createdAt:
      files
        .map((f) => f.results.createdAt)
        .sort()
        .at(-1) ?? base.createdAt,
    ...(envs.size === 1 && base.environment ? { environment: base.environment } : {}),
    mergedFrom: files.map((f) => relative(dirname(resolve(outPath)), resolve(f.path)) || f.path),
    tasks: Object.fromEntries(order.map((id) => [id, tasks.get(id)!.t])),
  };
  for (const c of sidecars) {
    if (!existsSync(c.from))
      warnings.push(`prediction sidecar ${c.from} is missing: the merged file names ${relative(dirname(resolve(outPath)), c.to)}, which will not exist`);
  }
  return { results, warnings, sidecars: sidecars.filter((c) => existsSync(c.from)) };
}
