import type { RunResults } from '../results/schema.js';
import { fmtSeconds } from './progress.js';

/** A plain-text table of a run's main scores, for the terminal. */
export function formatSummary(r: RunResults): string {
  const rows = Object.values(r.tasks).map((t) => {
    const others = Object.entries(t.metrics)
      .filter(([k]) => k !== t.mainMetric && !(t.protocol === 'unsupervised-sts' && perDataset(k)))
      .map(([k, v]) => `${k} ${show(v)}`)
      .join(', ');
    return [t.task, t.mainMetric, show(t.metrics[t.mainMetric]!), others, fmtSeconds(t.wallSeconds)];
  });
  const head = ['task', 'metric', 'score', 'other metrics', 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n')}\n`;
}

/** An STS year's per-dataset metric (`spearman_MSRpar`): in the results file, too many for one line. */
function perDataset(metric: string): boolean {
  return /^(pearson|spearman)_/.test(metric) && !/_(wmean|pooled)$/.test(metric);
}

/** Accuracies already carry SentEval's two decimals; correlations and MSE are shown to four. */
function show(v: number): string {
  return String(Number(v.toFixed(4)));
}
