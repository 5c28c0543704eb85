import type { RunResults, TaskResult } from '../results/schema.js';
import { isPerSetMetric } from '../protocol/registry.js';
import { findTask } from '../tasks/registry.js';
import { fmtSeconds } from './progress.js';

/** A plain-text table of a run's main scores, for the terminal. */
export function formatSummary(r: RunResults): string {
  const rows = Object.values(r.tasks).map((t) => {
    const others = Object.entries(t.metrics)
      .filter(([k]) => k !== t.mainMetric && !perSetMetric(t, k))
      .map(([k, v]) => `${k} ${show(v)}`)
      .join(', ');
    return [t.task, t.mainMetric, show(t.metrics[t.mainMetric]!), others, fmtSeconds(t.wallSeconds)];
  });
  const head = ['task', 'metric', 'score', 'other metrics', 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n')}\n`;
}

/** One of several sets' values (an STS year's `spearman_MSRpar`): in the results file, too many for one line. */
function perSetMetric(t: TaskResult, key: string): boolean {
  const def = findTask(t.task);
  return def !== undefined && def.protocol === t.protocol && isPerSetMetric(def, key);
}

/** Accuracies already carry SentEval's two decimals; correlations and MSE are shown to four. */
function show(v: number): string {
  return String(Number(v.toFixed(4)));
}
