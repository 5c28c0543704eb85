import type { RunResults, TaskResult } from '../results/schema.js';
import { isPerSetMetric } from '../protocol/registry.js';
import { metricKind } from '../protocol/metrics.js';
import { findTask } from '../tasks/registry.js';
import { fmtSeconds } from './progress.js';

/**
 * A plain-text table of a run's main scores, for the terminal. A run over several seeds shows each
 * metric's mean at one run's resolution and its sample std over the seeds (`72.91±0.42`).
 */
export function formatSummary(r: RunResults): string {
  const rows = Object.values(r.tasks).map((t) => {
    const others = Object.entries(t.metrics)
      .filter(([k]) => k !== t.mainMetric && !perSetMetric(t, k))
      .map(([k, v]) => `${k} ${show(k, v, t)}`)
      .join(', ');
    return [t.task, t.mainMetric, show(t.mainMetric, t.metrics[t.mainMetric]!, t), others, fmtSeconds(t.wallSeconds)];
  });
  const seeds = Object.values(r.tasks).find((t) => t.seeds && t.seeds.length > 1)?.seeds;
  const head = ['task', 'metric', seeds ? 'mean±std' : 'score', 'other metrics', 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const foot = seeds ? [`means over ${seeds.length} seeds (${seeds.join(', ')}) ± their sample standard deviation`] : [];
  return `${[fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), ...foot].join('\n')}\n`;
}

/** One of several sets' values (an STS year's `spearman_MSRpar`): in the results file, too many for one line. */
function perSetMetric(t: TaskResult, key: string): boolean {
  const def = findTask(t.task);
  return def !== undefined && def.protocol === t.protocol && isPerSetMetric(def, key);
}

/** A value at one run's resolution (accuracy 2 decimals, correlations and MSE 4), ±std over seeds. */
function show(key: string, v: number, t: TaskResult): string {
  const d = metricKind(key)?.decimals ?? 4;
  const spread = t.seeds && t.seeds.length > 1 ? t.spread?.[key] : undefined;
  const mean = String(Number(v.toFixed(d)));
  return spread === undefined ? mean : `${mean}±${spread.std.toFixed(d)}`;
}
