/**
 * Per-example test predictions ("sidecars"), written by `evaluate --save-predictions` and read by
 * `compare` for paired tests. One compact JSON file per task, beside the results file:
 *
 *   results/run.json                      the results file
 *   results/run.predictions/MRPC.json     {"schemaVersion":1,"task":"MRPC","kind":"class","split":"test",
 *                                          "gold":[1,0,...],"pred":[1,1,...]}
 *
 * One file per task because `evaluate` appends tasks as they finish: each sidecar is written once,
 * atomically, before the results file names it in `TaskResult.predictionsFile` (a path relative to
 * the results file). `kind` is `class` (gold/pred are class indices, the task's label encoding) or
 * `score` (gold scores and predicted expected scores, relatedness tasks). `split` is the evaluated
 * set: `test`, or `all` for the k-fold tasks (MR, CR, SUBJ, MPQA: the outer folds' test predictions,
 * in SentEval's sorted sample order). Extra test sets (MultiNLI's `test_mismatched`) go in `extra`
 * under their split name. Multi-seed runs save the predictions of the first seed and name it in
 * `seed`. To join back to the data: `source` gives each example's data file (`files[file[i]]`,
 * relative to the data folder) and 1-based line, `labels` the class names by index,
 * `probabilities` each example's class probabilities (rows of nclasses); for `score` sidecars
 * `pred` is the regressor's expected score Σ p_k·k (SentEval's yhat).
 */
import { dirname, join, relative, resolve, isAbsolute, sep } from 'node:path';
import { realpathSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { readJsonFile } from './read.js';
import type { SampleOrigin } from '../tasks/types.js';

export const PREDICTIONS_SCHEMA_VERSION = 1;

export type PredictionKind = 'class' | 'score';

export interface PredictionSet {
  readonly gold: readonly number[];
  readonly pred: readonly number[];
  /** Each example's data file (index into `files`) and 1-based line, in gold/pred order. */
  readonly source?: SampleOrigin;
  /** `class` sidecars: each example's class probabilities (one row of nclasses per example). */
  readonly probabilities?: readonly (readonly number[])[];
}

export interface TaskPredictions extends PredictionSet {
  readonly schemaVersion: number;
  readonly task: string;
  readonly kind: PredictionKind;
  readonly split: string;
  /** Class names by class index (`kind` class). */
  readonly labels?: readonly string[];
  readonly seed?: number;
  readonly extra?: Readonly<Record<string, PredictionSet>>;
}

/** Where a task's sidecar goes, relative to the results file: `<results stem>.predictions/<task>.json`. */
export function predictionsRelPath(resultsPath: string, task: string): string {
  const stem = resultsPath
    .replace(/\\/g, '/')
    .split('/')
    .pop()!
    .replace(/\.json$/i, '');
  return `${stem}.predictions/${task.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
}

function checkSet(s: PredictionSet, kind: PredictionKind, where: string): void {
  if (s.gold.length !== s.pred.length) {
    throw new Error(`${where}: ${s.gold.length} gold values but ${s.pred.length} predictions`);
  }
  if (s.probabilities) {
    const pr = s.probabilities;
    if (pr.length !== s.gold.length) throw new Error(`${where}: ${pr.length} probability rows for ${s.gold.length} examples`);
    const C = pr[0]?.length ?? 0;
    pr.forEach((row, i) => {
      const sum = row.reduce((a, b) => a + b, 0);
      if (row.length !== C || row.some((v) => !(v >= 0 && v <= 1)) || Math.abs(sum - 1) > 1e-4) {
        throw new Error(`${where}: example ${i}: probabilities ${JSON.stringify(row)} are not ${C} values in [0, 1] summing to 1`);
      }
    });
  }
  if (s.source) {
    const o = s.source;
    if (o.file.length !== s.gold.length || o.line.length !== s.gold.length) {
      throw new Error(`${where}: source has ${o.file.length} files / ${o.line.length} lines for ${s.gold.length} examples`);
    }
    for (let i = 0; i < o.file.length; i++) {
      if (!(Number.isInteger(o.file[i]) && o.file[i]! >= 0 && o.file[i]! < o.files.length) || !(Number.isInteger(o.line[i]) && o.line[i]! >= 1)) {
        throw new Error(`${where}: example ${i}: source file ${o.file[i]} / line ${o.line[i]} is not a file index and line number`);
      }
    }
  }
  for (let i = 0; i < s.gold.length; i++) {
    const g = s.gold[i];
    const p = s.pred[i];
    if (!Number.isFinite(g) || !Number.isFinite(p) || (kind === 'class' && (!Number.isInteger(g) || !Number.isInteger(p)))) {
      throw new Error(`${where}: example ${i}: gold ${g}, pred ${p} are not ${kind === 'class' ? 'class indices' : 'finite scores'}`);
    }
  }
}

/**
 * Writes one task's predictions beside `resultsPath` (atomically) and returns the relative path to
 * store in `TaskResult.predictionsFile`.
 */
export function writePredictions(resultsPath: string, p: Omit<TaskPredictions, 'schemaVersion'>): string {
  checkSet(p, p.kind, `predictions for ${p.task}`);
  for (const [name, s] of Object.entries(p.extra ?? {})) checkSet(s, p.kind, `predictions for ${p.task} (${name})`);
  const rel = predictionsRelPath(resultsPath, p.task);
  const doc: TaskPredictions = {
    schemaVersion: PREDICTIONS_SCHEMA_VERSION,
    task: p.task,
    kind: p.kind,
    split: p.split,
    ...(p.seed === undefined ? {} : { seed: p.seed }),
    ...(p.labels === undefined ? {} : { labels: [...p.labels] }),
    gold: Array.from(p.gold),
    pred: Array.from(p.pred),
    ...(p.source === undefined ? {} : { source: plainOrigin(p.source) }),
    ...(p.probabilities === undefined ? {} : { probabilities: p.probabilities.map((r) => [...r]) }),
    ...(p.extra === undefined
      ? {}
      : {
          extra: Object.fromEntries(
            Object.entries(p.extra).map(([k, s]) => [
              k,
              {
                gold: Array.from(s.gold),
                pred: Array.from(s.pred),
                ...(s.source ? { source: plainOrigin(s.source) } : {}),
                ...(s.probabilities ? { probabilities: s.probabilities.map((r) => [...r]) } : {}),
              },
            ]),
          ),
        }),
  };
  writeFileAtomic(join(dirname(resultsPath), rel), JSON.stringify(doc));
  return rel;
}

function plainOrigin(o: SampleOrigin): SampleOrigin {
  return { files: [...o.files], file: Array.from(o.file), line: Array.from(o.line) };
}

function readRows(v: unknown, file: string, field: string): number[][] {
  if (!Array.isArray(v)) throw new UserError(`${file}: field '${field}': expected an array of number arrays`);
  return v.map((row, i) => numArray(row, file, `${field}[${i}]`));
}

function readOrigin(v: unknown, file: string, field: string): SampleOrigin {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (!Array.isArray(o.files) || o.files.some((f) => typeof f !== 'string')) {
    throw new UserError(`${file}: field '${field}.files': expected an array of strings`);
  }
  return { files: o.files as string[], file: numArray(o.file, file, `${field}.file`), line: numArray(o.line, file, `${field}.line`) };
}

/**
 * Resolves a sidecar path named in a results file (relative to that file). It must stay inside the
 * results file's folder, where `evaluate` writes sidecars: a results file is data, and must not
 * make a report read (and quote) arbitrary files.
 */
export function resolvePredictionsPath(resultsPath: string, predictionsFile: string): string {
  const base = resolve(dirname(resultsPath));
  const abs = resolve(base, predictionsFile);
  const outside = (): UserError =>
    new UserError(
      `${resultsPath}: predictionsFile '${predictionsFile}' points outside the results file's folder; sidecars live beside the results file (<name>.predictions/<task>.json)`,
    );
  if (isAbsolute(predictionsFile) || !abs.startsWith(base + sep)) throw outside();
  // A symbolic link inside the folder may lead out of it: where it leads must stay inside too.
  let realAbs: string | undefined;
  try {
    realAbs = realpathSync(abs);
  } catch {
    realAbs = undefined; // not there: the reader reports it missing
  }
  if (realAbs !== undefined && !realAbs.startsWith(realpathSync(base) + sep)) throw outside();
  return abs;
}

function numArray(v: unknown, file: string, field: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw new UserError(`${file}: field '${field}': expected an array of numbers`);
  }
  return v as number[];
}

/** Reads and validates the sidecar that `resultsPath` names as `predictionsFile`. */
export function readPredictions(resultsPath: string, predictionsFile: string): TaskPredictions {
  const abs = resolvePredictionsPath(resultsPath, predictionsFile);
  const file = relative(process.cwd(), abs) || abs;
  const doc = readJsonFile(file, 'predictions file');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UserError(`${file}: expected a predictions object`);
  }
  const o = doc as Record<string, unknown>;
  const version = o.schemaVersion;
  if (typeof version !== 'number' || version < 1 || version > PREDICTIONS_SCHEMA_VERSION) {
    throw new UserError(`${file}: field 'schemaVersion': expected 1..${PREDICTIONS_SCHEMA_VERSION}, found ${JSON.stringify(version)}`);
  }
  if (typeof o.task !== 'string') throw new UserError(`${file}: field 'task': expected a string`);
  if (o.kind !== 'class' && o.kind !== 'score') throw new UserError(`${file}: field 'kind': expected "class" or "score"`);
  const kind: PredictionKind = o.kind;
  const split = typeof o.split === 'string' ? o.split : 'test';
  const main = {
    gold: numArray(o.gold, file, 'gold'),
    pred: numArray(o.pred, file, 'pred'),
    ...(o.source === undefined ? {} : { source: readOrigin(o.source, file, 'source') }),
    ...(o.probabilities === undefined ? {} : { probabilities: readRows(o.probabilities, file, 'probabilities') }),
  };
  let labels: string[] | undefined;
  if (o.labels !== undefined) {
    if (!Array.isArray(o.labels) || o.labels.some((l) => typeof l !== 'string')) throw new UserError(`${file}: field 'labels': expected an array of strings`);
    labels = o.labels as string[];
  }
  const extra: Record<string, PredictionSet> = {};
  if (o.extra !== undefined) {
    if (typeof o.extra !== 'object' || o.extra === null) throw new UserError(`${file}: field 'extra': expected an object`);
    for (const [k, s] of Object.entries(o.extra as Record<string, unknown>)) {
      const so = (s ?? {}) as Record<string, unknown>;
      extra[k] = {
        gold: numArray(so.gold, file, `extra.${k}.gold`),
        pred: numArray(so.pred, file, `extra.${k}.pred`),
        ...(so.source === undefined ? {} : { source: readOrigin(so.source, file, `extra.${k}.source`) }),
        ...(so.probabilities === undefined ? {} : { probabilities: readRows(so.probabilities, file, `extra.${k}.probabilities`) }),
      };
    }
  }
  try {
    checkSet(main, kind, file);
    for (const [k, s] of Object.entries(extra)) checkSet(s, kind, `${file} (${k})`);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return {
    schemaVersion: version,
    task: o.task,
    kind,
    split,
    ...(typeof o.seed === 'number' ? { seed: o.seed } : {}),
    ...(labels ? { labels } : {}),
    gold: main.gold,
    pred: main.pred,
    ...(main.source ? { source: main.source } : {}),
    ...(main.probabilities ? { probabilities: main.probabilities } : {}),
    ...(o.extra === undefined ? {} : { extra }),
  };
}
