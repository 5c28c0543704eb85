import { writePredictions, type PredictionSet } from '../results/predictions.js';
import type { TaskPredictionSet } from './run-task.js';

/** [n, C] rows, 6 decimals (enough to rank and calibrate; keeps the sidecar small). */
function probs(p: TaskPredictionSet): { probabilities?: number[][] } {
  if (!p.probabilities || p.gold.length === 0) return {};
  const C = p.probabilities.length / p.gold.length;
  const rows: number[][] = [];
  for (let i = 0; i < p.gold.length; i++) rows.push(Array.from(p.probabilities.subarray(i * C, (i + 1) * C), (v) => Math.round(v * 1e6) / 1e6));
  return { probabilities: rows };
}

/**
 * `--save-predictions`: a callback for `evaluate` that writes each finished task's test predictions
 * beside the results file and returns the relative path the results file records.
 */
export function savePredictionsBeside(
  resultsPath: string,
  seed?: number,
): (task: string, predictions: readonly TaskPredictionSet[]) => Promise<string | undefined> {
  return async (task, predictions) => {
    const [main, ...rest] = predictions;
    if (!main) return undefined;
    const extra: Record<string, PredictionSet> = {};
    for (const p of rest) extra[p.split] = { gold: p.gold, pred: p.pred, ...(p.origin ? { source: p.origin } : {}), ...probs(p) };
    return writePredictions(resultsPath, {
      task,
      kind: main.kind,
      split: main.split,
      gold: main.gold,
      pred: main.pred,
      ...(main.labels ? { labels: main.labels } : {}),
      ...(main.origin ? { source: main.origin } : {}),
      ...probs(main),
      ...(seed === undefined ? {} : { seed }),
      ...(rest.length > 0 ? { extra } : {}),
    });
  };
}
