/**
 * The leaderboard's columns, in the order of the reports suite (GenSen's Table 2 first). Every report
 * shows values in display points (accuracies and F1 in percent, correlations ×100: results files hold
 * Pearson and Spearman as fractions, 0.7544, while Table 2 prints STS-B as 78.9/78.6), so one
 * tolerance or difference reads the same across tasks; the scale is each metric kind's
 * (src/protocol/metrics.ts).
 */
import { findTask, resolveTask, suitesFile } from '../tasks/registry.js';

export { isCorrelation, toDisplay } from '../protocol/metrics.js';

export interface Column {
  /** Unique key, e.g. `MRPC.f1`. */
  readonly id: string;
  /** Canonical task id (the id of its `tasks/<id>.json`). */
  readonly task: string;
  /** Metric key in `TaskResult.metrics`. */
  readonly metric: string;
  readonly header: string;
  /** The task's ranking column (the one that enters the average). */
  readonly main: boolean;
}

function col(task: string, metric: string, header: string, main = true): Column {
  return { id: `${task}.${metric}`, task, metric, header, main };
}

/**
 * The leaderboard's columns: the suite tasks/suites.json names as `leaderboard` (GenSen's Table 2
 * order, then SNLI, SST5 and the STS years), each task's `report.columns` from its definition.
 */
function leaderboardColumns(): Column[] {
  const s = suitesFile();
  return s.suites[s.leaderboard].tasks.flatMap((id) => {
    const def = resolveTask(id);
    return def.report.columns.map((c) => col(def.id, c.metric, c.header, c.main !== false));
  });
}

export const LEADERBOARD_COLUMNS: readonly Column[] = leaderboardColumns();

/**
 * Maps the spellings in use (`SICK-R`, `SICKRelatedness`, `STS-B`, `MNLI`, ...) to one id so that
 * results files and reference rows line up: the same ids and aliases `--tasks` accepts (the task
 * definitions'), however punctuated; unknown task ids pass through unchanged.
 */
export function canonicalTask(task: string): string {
  return findTask(task)?.id ?? task;
}

/** Short header for a task outside the leaderboard suite (e.g. an STS year), from its main metric. */
export function extraColumn(task: string, metric: string): Column {
  return col(task, metric, metric === 'acc' ? task : `${task} ${metric}`);
}

export function formatPoints(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

export function formatSigned(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return '–';
  // A difference that rounds to zero reads as +0.0, never -0.0.
  const s = Math.abs(v) < 0.5 * 10 ** -digits ? (0).toFixed(digits) : v.toFixed(digits);
  return s.startsWith('-') ? s : `+${s}`;
}
