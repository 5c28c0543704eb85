/** Classification metrics, optionally on examples weighted by a bootstrap resample's draw counts. */
import type { Weights } from './weights.js';

export function accuracy(gold: ArrayLike<number>, pred: ArrayLike<number>, w?: Weights): number {
  const n = gold.length;
  let ok = 0;
  let tot = 0;
  if (w) {
    for (let i = 0; i < n; i++) {
      tot += w[i];
      if (gold[i] === pred[i]) ok += w[i];
    }
  } else {
    tot = n;
    for (let i = 0; i < n; i++) if (gold[i] === pred[i]) ok++;
  }
  return ok / tot;
}

/** F1 of the positive class (label 1), as sklearn's f1_score computes it (SentEval reports it for MRPC). */
export function f1Positive(gold: ArrayLike<number>, pred: ArrayLike<number>, w?: Weights): number {
  if (gold.length !== pred.length) throw new Error('f1Positive: length mismatch');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < gold.length; i++) {
    const k = w ? w[i] : 1;
    if (k === 0) continue;
    const g = gold[i] === 1;
    const p = pred[i] === 1;
    if (g && p) tp += k;
    else if (p) fp += k;
    else if (g) fn += k;
  }
  // sklearn's formula and operation order; 0 (with a warning there) when tp is 0.
  if (tp === 0) return 0;
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return (2 * precision * recall) / (precision + recall);
}
