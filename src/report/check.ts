/**
 * The CI regression gate: compare a new run's main scores with a baseline run's, task by task,
 * each against a tolerance that reflects how much the score moves by chance.
 *
 * All numbers are in display points (accuracy/F1 in percent, correlations ×100), so one
 * `--tolerance N` reads the same for every task.
 *
 * `auto` tolerance:
 * - with seed spread in either file (`evaluate --seeds`): max(3 × std, floor), std being the larger
 *   of the two files' seed standard deviations of the main metric; floor 0.5 points for accuracy/F1
 *   (TREC's 500 test examples move accuracy in steps of 0.2) and 0.3 points for correlations;
 * - otherwise the task definition's `report.tolerance` (1.0 for correlations and unknown tasks),
 *   set from the seed noise of SentEval itself (docs/protocol.md §10,
 *   bow encoder, seeds 1111/1112/1113; sample std): SST2 0.50, SICK-E 0.42 → 1.0 point for
 *   accuracy (2σ of the noisiest large test set, about its observed max−min range of 0.94);
 *   MRPC 0.76 → 2.5 points (3σ; its range was 1.4); TREC 0.2 but only 500 test examples, each
 *   worth 0.2 points, and a resampled 5% early-stopping split → 1.5 points (7 examples);
 *   SICK-R 0.06, STS-B 0.12 points → 1.0 point (0.01) for correlations, which leaves room for the
 *   larger variation a stronger, higher-dimensional encoder shows.
 *   SST5: 2.5 points (bow, seeds 1111-1115: std 0.21 under `paper` but 1.14 under `fast`, range
 *   37.4-40.5; 2σ of the noisier preset). Unsupervised STS (STS12-16) draws nothing at random: the
 *   same encoder gives the same numbers, so their task files set 0.2 points (0.002), room only for
 *   the encoder's own float drift (another compute backend, another summation order).
 */
import type { LoadedResults } from '../results/read.js';
import type { TaskResult } from '../results/schema.js';
import { UserError } from '../util/errors.js';
import { explainTaskDifference, groupMixedTasks, recordedTaskDifferences } from './leaderboard.js';
import { canonicalTask, formatPoints, formatSigned, isCorrelation, toDisplay } from './columns.js';
import { findTask } from '../tasks/registry.js';
import { findProtocol } from '../protocol/registry.js';

export type Tolerance = 'auto' | number;

export const SPREAD_MULTIPLE = 3;
export const FLOOR_ACCURACY = 0.5;
export const FLOOR_CORRELATION = 0.3;

/** Tolerance (points) for a task unknown to the registry, and for every correlation. */
export const DEFAULT_TOLERANCE = 1.0;

/**
 * Default tolerance (points) when neither file has seed spread: the task definition's
 * `report.tolerance`; correlations get DEFAULT_TOLERANCE, except on a deterministic protocol
 * (unsupervised STS), whose own, tighter tolerance applies.
 */
export function defaultTolerance(task: string, metric: string): number {
  const def = findTask(task);
  if (def && deterministic(def.protocol)) return def.report.tolerance;
  if (isCorrelation(metric)) return DEFAULT_TOLERANCE;
  return def?.report.tolerance ?? DEFAULT_TOLERANCE;
}

/** A protocol that draws nothing at random gives an encoder the same numbers every time. */
function deterministic(protocol: string): boolean {
  return findProtocol(protocol)?.seeded === false;
}

export type Verdict = 'ok' | 'improved' | 'regression' | 'missing' | 'new';

export interface CheckRow {
  readonly task: string;
  readonly metric: string;
  readonly baseline?: number;
  readonly current?: number;
  /** current − baseline, points. */
  readonly difference?: number;
  readonly tolerance?: number;
  /** How the tolerance was set, e.g. `3×std 0.42 (new)`, `default`, `--tolerance`. */
  readonly toleranceBasis?: string;
  readonly verdict: Verdict;
  /** The task's fingerprints differ (only with allowMixed). */
  readonly mixed: boolean;
}

export interface CheckReport {
  readonly baselineFile: string;
  readonly currentFile: string;
  readonly rows: readonly CheckRow[];
  readonly regressions: number;
  readonly missing: number;
  /** 0: pass; 1: some task fell by more than its tolerance (or went missing). */
  readonly exitCode: 0 | 1;
  readonly notes: readonly string[];
}

export interface CheckOptions {
  readonly tolerance?: Tolerance;
  /** Compare tasks whose protocol fingerprints differ instead of refusing. */
  readonly allowMixed?: boolean;
  /** A task in the baseline but not in the new run does not fail the gate. */
  readonly allowMissing?: boolean;
}

function seedStd(t: TaskResult): number | undefined {
  const s = t.spread?.[t.mainMetric];
  return s === undefined ? undefined : toDisplay(t.mainMetric, s.std);
}

function tasks(lr: LoadedResults): Map<string, TaskResult> {
  const m = new Map<string, TaskResult>();
  for (const [k, t] of Object.entries(lr.results.tasks)) m.set(canonicalTask(k), t);
  return m;
}

// Differences are computed from numbers read from JSON (0.7544 − 0.7644 ≠ −0.01 exactly); a
// difference within this of the tolerance counts as equal to it.
const EPS = 1e-9;

export function checkRegression(baseline: LoadedResults, current: LoadedResults, opts: CheckOptions = {}): CheckReport {
  const tol = opts.tolerance ?? 'auto';
  if (typeof tol === 'number' && !(tol >= 0)) throw new UserError(`--tolerance: expected 'auto' or a number ≥ 0, got ${tol}`);
  const base = tasks(baseline);
  const cur = tasks(current);
  const common = [...base.keys()].filter((t) => cur.has(t));
  if (common.length === 0) {
    throw new UserError(
      `${current.path} and ${baseline.path} have no task in common (baseline: ${[...base.keys()].join(', ') || 'none'}; new: ${[...cur.keys()].join(', ') || 'none'})`,
    );
  }
  const mismatched = common.filter((t) => base.get(t)!.fingerprint !== cur.get(t)!.fingerprint);
  if (mismatched.length && !opts.allowMixed) throw new UserError(mixedMessage(baseline, current, mismatched, base, cur));
  for (const t of common) {
    const a = base.get(t)!.mainMetric;
    const b = cur.get(t)!.mainMetric;
    if (a !== b) throw new UserError(`${t}: main metric is '${a}' in ${baseline.path} but '${b}' in ${current.path}`);
  }

  const rows: CheckRow[] = [];
  const order = [...new Set([...base.keys(), ...cur.keys()])];
  for (const task of order) {
    const bt = base.get(task);
    const ct = cur.get(task);
    if (bt && !ct) {
      rows.push({ task, metric: bt.mainMetric, baseline: toDisplay(bt.mainMetric, bt.metrics[bt.mainMetric]), verdict: 'missing', mixed: false });
      continue;
    }
    if (!bt && ct) {
      rows.push({ task, metric: ct.mainMetric, current: toDisplay(ct.mainMetric, ct.metrics[ct.mainMetric]), verdict: 'new', mixed: false });
      continue;
    }
    const metric = bt!.mainMetric;
    const b = toDisplay(metric, bt!.metrics[metric]);
    const c = toDisplay(metric, ct!.metrics[metric]);
    let tolerance: number;
    let basis: string;
    if (typeof tol === 'number') {
      tolerance = tol;
      basis = '--tolerance';
    } else {
      const sb = seedStd(bt!);
      const sc = seedStd(ct!);
      if (sb !== undefined || sc !== undefined) {
        const std = Math.max(sb ?? 0, sc ?? 0);
        const floor = isCorrelation(metric) ? FLOOR_CORRELATION : FLOOR_ACCURACY;
        tolerance = Math.max(SPREAD_MULTIPLE * std, floor);
        basis = SPREAD_MULTIPLE * std >= floor ? `${SPREAD_MULTIPLE}×seed std ${std.toFixed(2)}` : `floor (seed std ${std.toFixed(2)})`;
      } else {
        tolerance = defaultTolerance(task, metric);
        basis = deterministic(findTask(task)?.protocol ?? '') ? 'default (deterministic)' : 'default';
      }
    }
    const difference = c - b;
    const verdict: Verdict = difference < -tolerance - EPS ? 'regression' : difference > tolerance + EPS ? 'improved' : 'ok';
    rows.push({ task, metric, baseline: b, current: c, difference, tolerance, toleranceBasis: basis, verdict, mixed: mismatched.includes(task) });
  }
  const regressions = rows.filter((r) => r.verdict === 'regression').length;
  const missing = rows.filter((r) => r.verdict === 'missing').length;
  const notes: string[] = [];
  if (mismatched.length) notes.push(`fingerprints differ for ${mismatched.join(', ')}; compared anyway (--allow-mixed)`);
  if (missing)
    notes.push(
      `${missing} baseline task(s) missing from the new run${opts.allowMissing ? ' (allowed by --allow-missing)' : ': the gate fails (pass --allow-missing to accept)'}`,
    );
  for (const w of baseline.warnings) notes.push(`${baseline.path}: ${w}`);
  for (const w of current.warnings) notes.push(`${current.path}: ${w}`);
  const fail = regressions > 0 || (missing > 0 && !opts.allowMissing);
  return { baselineFile: baseline.path, currentFile: current.path, rows, regressions, missing, exitCode: fail ? 1 : 0, notes };
}

/** Who wrote a results file: version, commit and protocol implementation, as far as recorded. */
export function harnessOf(lr: LoadedResults): string {
  const r = lr.results;
  const commit = r.environment?.gitCommit ? `, commit ${r.environment.gitCommit.slice(0, 7)}` : '';
  const impl = r.tool.protocolImplementation ?? 'not recorded (files before 0.2.0 do not record it)';
  return `${r.tool.name} ${r.tool.version}${commit}, protocol implementation ${impl}`;
}

/** A shell-quoted command line, to re-run a recorded run. */
function shellCommand(args: readonly string[]): string {
  return ['gensen-eval', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Why the fingerprints differ, said once: the recorded settings or data that differ per group of
 * tasks, and for tasks whose recorded settings are equal, the harness versions that wrote the files
 * (a new protocol implementation changes every fingerprint), then what to do.
 */
function mixedMessage(
  baseline: LoadedResults,
  current: LoadedResults,
  mismatched: readonly string[],
  base: Map<string, TaskResult>,
  cur: Map<string, TaskResult>,
): string {
  const explained: string[] = [];
  const unexplained: string[] = [];
  for (const t of mismatched)
    (recordedTaskDifferences(base.get(t)!, baseline.results, cur.get(t)!, current.results).length > 0 ? explained : unexplained).push(t);
  const fix = `re-run the baseline with this version to gate on it${baseline.results.command.length ? ` (${shellCommand(baseline.results.command)})` : ''}, or pass --allow-mixed to compare the scores anyway`;
  if (unexplained.length === 0) {
    const why = groupMixedTasks(
      explained.map((t) => ({ task: t, reasons: [explainTaskDifference('baseline', base.get(t)!, baseline.results, 'new', cur.get(t)!, current.results)] })),
    )
      .map((g) => `${g.tasks.join(', ')} (${g.reasons.join('; ')})`)
      .join('; ');
    return `${current.path} vs ${baseline.path}: protocol fingerprints differ for ${why}: the scores are not comparable; rerun the baseline with the same settings, or pass --allow-mixed`;
  }
  const lines = [`${current.path} vs ${baseline.path}: protocol fingerprints differ, so the scores are not comparable as they stand`];
  for (const g of groupMixedTasks(
    explained.map((t) => ({ task: t, reasons: recordedTaskDifferences(base.get(t)!, baseline.results, cur.get(t)!, current.results) })),
  )) {
    lines.push(`  ${g.tasks.join(', ')}: ${g.reasons.join('; ')}`);
  }
  const hb = harnessOf(baseline);
  const hc = harnessOf(current);
  const n = unexplained.length;
  const which = n > 1 && n === mismatched.length && n === base.size ? `all ${n} tasks` : unexplained.join(', ');
  if (hb !== hc) {
    lines.push(
      `  ${which}: no recorded setting or data file differs; the harness that computed ${n === 1 ? 'it' : 'them'} does:`,
      `    baseline: ${hb}`,
      `    new:      ${hc}`,
    );
  } else {
    lines.push(`  ${which}: no recorded setting or data file differs, and both files come from ${hb}: the difference is not in what the files record`);
  }
  lines.push(`what to do: ${fix}`);
  return lines.join('\n');
}

const VERDICT_TEXT: Record<Verdict, string> = {
  ok: 'ok (within tolerance)',
  improved: 'improved',
  regression: 'REGRESSION',
  missing: 'MISSING in new',
  new: 'new task (no baseline)',
};

function pad(cells: string[][]): string {
  const w = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  return cells
    .map((r) =>
      r
        .map((c, j) => (j === 0 || j === r.length - 1 ? c.padEnd(w[j]) : c.padStart(w[j])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Plain-text table for terminals and CI logs. */
export function renderCheckTable(rep: CheckReport): string {
  const cells = [['task', 'baseline', 'new', 'difference', 'tolerance', 'verdict']];
  for (const r of rep.rows) {
    cells.push([
      `${r.task} ${r.metric}${r.mixed ? ' (mixed)' : ''}`,
      r.baseline === undefined ? '–' : formatPoints(r.baseline, 2),
      r.current === undefined ? '–' : formatPoints(r.current, 2),
      r.difference === undefined ? '–' : formatSigned(r.difference, 2),
      r.tolerance === undefined ? '–' : `${r.tolerance.toFixed(2)} ${r.toleranceBasis ?? ''}`.trim(),
      VERDICT_TEXT[r.verdict],
    ]);
  }
  const lines = [`baseline: ${rep.baselineFile}`, `new:      ${rep.currentFile}`, 'points: accuracy/F1 in percent, correlations ×100', '', pad(cells), ''];
  for (const n of rep.notes) lines.push(`note: ${n}`);
  lines.push(
    rep.exitCode === 0
      ? 'PASS: no task fell by more than its tolerance'
      : `FAIL: ${rep.regressions} regression(s)${rep.missing ? `, ${rep.missing} missing task(s)` : ''}`,
  );
  return lines.join('\n') + '\n';
}
