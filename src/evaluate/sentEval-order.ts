import type { SortKeyPart } from '../tasks/definition.js';
import { pickOrigin, type Split } from '../tasks/types.js';

/**
 * SentEval sorts every split before encoding, to reduce padding, by a per-task key: usually
 * (len a, [len b,] label), but SNLI sorts by (len s2, len s1, label string). The folds and
 * minibatches are drawn over that order, so it is part of the protocol. Python's sort is stable and
 * so is Array.prototype.sort; string labels compare by code point, as Python's str does.
 */
export function sentEvalOrder(split: Split, sortKey: readonly SortKeyPart[], labelNames?: readonly string[]): Split {
  const n = split.y.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  const { a, b, y } = split;
  const name = (i: number): string => {
    const s = labelNames?.[y[i]!];
    if (s === undefined) throw new Error(`sort key labelName needs a label name for class ${y[i]}`);
    return s;
  };
  const parts = sortKey.map((k): ((i: number, j: number) => number) => {
    switch (k) {
      case 'lenA':
        return (i, j) => a[i]!.length - a[j]!.length;
      case 'lenB':
        if (!b) throw new Error('sort key lenB on a single-sentence task');
        return (i, j) => b[i]!.length - b[j]!.length;
      case 'y':
        return (i, j) => y[i]! - y[j]!;
      case 'labelName':
        return (i, j) => {
          const p = name(i);
          const q = name(j);
          return p < q ? -1 : p > q ? 1 : 0;
        };
    }
  });
  idx.sort((i, j) => {
    for (const cmp of parts) {
      const c = cmp(i, j);
      if (c !== 0) return c;
    }
    return 0;
  });
  const origin = pickOrigin(split.origin, idx);
  return {
    a: idx.map((i) => a[i]!),
    ...(b ? { b: idx.map((i) => b[i]!) } : {}),
    y: idx.map((i) => y[i]!),
    ...(origin ? { origin } : {}),
  };
}
