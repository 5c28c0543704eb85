import type { Split } from '../tasks/types.js';

/**
 * SentEval sorts every split by (length of side a, [length of side b,] label) before encoding, to
 * reduce padding; the folds and minibatches are then drawn over that order, so it is part of the
 * protocol. Python's sort is stable and so is Array.prototype.sort.
 */
export function sentEvalOrder(split: Split): Split {
  const n = split.y.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  const { a, b, y } = split;
  idx.sort((i, j) => {
    const da = a[i]!.length - a[j]!.length;
    if (da !== 0) return da;
    if (b) {
      const db = b[i]!.length - b[j]!.length;
      if (db !== 0) return db;
    }
    return y[i]! - y[j]!;
  });
  return {
    a: idx.map((i) => a[i]!),
    ...(b ? { b: idx.map((i) => b[i]!) } : {}),
    y: idx.map((i) => y[i]!),
  };
}
