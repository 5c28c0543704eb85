/**
 * scikit-learn's StratifiedKFold(shuffle=True) (versions >= 0.22): classes are numbered by first
 * appearance; per-fold class counts come from a round robin over the sorted encoded labels
 * (allocation[i] = bincount(y_order[i::k])); each class's fold numbers
 * `repeat(arange(k), allocation[:, c])` are shuffled and dealt to that class's samples in index
 * order. Fold sizes and per-class counts therefore match sklearn exactly; only the random stream
 * (ours is `Rng`, theirs numpy's MT19937) differs. Like sklearn with an integer random_state, every
 * call with the same seed and labels gives the same folds.
 */
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export interface Fold {
  /** Ascending row positions (into the labels given), as sklearn yields them. */
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Class allocation matrix [k × nclasses] (row i: per-class counts of test fold i). */
export function foldAllocation(y: ArrayLike<number>, k: number): { encoded: Int32Array; allocation: Int32Array[]; nclasses: number } {
  const code = new Map<number, number>();
  const encoded = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let c = code.get(y[i]!);
    if (c === undefined) {
      c = code.size;
      code.set(y[i]!, c);
    }
    encoded[i] = c;
  }
  const nclasses = code.size;
  const counts = new Int32Array(nclasses);
  for (const c of encoded) counts[c]!++;
  if (k < 2) throw new UserError(`k-fold: need at least 2 folds, got ${k}`);
  if (k > y.length) throw new UserError(`k-fold: cannot split ${y.length} samples into ${k} folds`);
  if (counts.every((n) => n < k)) {
    throw new UserError(`k-fold: ${k} folds is more than the number of members in each class`);
  }
  // y_order = sorted encoded labels: counts[0] zeros, then counts[1] ones, ...; position p goes
  // to fold p mod k.
  const allocation = Array.from({ length: k }, () => new Int32Array(nclasses));
  let p = 0;
  for (let c = 0; c < nclasses; c++) {
    for (let n = 0; n < counts[c]!; n++, p++) allocation[p % k]![c]!++;
  }
  return { encoded, allocation, nclasses };
}

/** Test-fold number of every sample. */
export function stratifiedTestFolds(y: ArrayLike<number>, k: number, seed: number): Int32Array {
  const { encoded, allocation, nclasses } = foldAllocation(y, k);
  const rng = new Rng(seed >>> 0, 7);
  const testFolds = new Int32Array(y.length);
  for (let c = 0; c < nclasses; c++) {
    const folds: number[] = [];
    for (let f = 0; f < k; f++) for (let n = 0; n < allocation[f]![c]!; n++) folds.push(f);
    rng.shuffle(folds);
    let t = 0;
    for (let i = 0; i < y.length; i++) if (encoded[i] === c) testFolds[i] = folds[t++]!;
  }
  return testFolds;
}

export function stratifiedKFold(y: ArrayLike<number>, k: number, seed: number): Fold[] {
  const testFolds = stratifiedTestFolds(y, k, seed);
  const sizes = new Int32Array(k);
  for (const f of testFolds) sizes[f]!++;
  const out: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test = new Int32Array(sizes[f]!);
    const train = new Int32Array(y.length - sizes[f]!);
    let a = 0;
    let b = 0;
    for (let i = 0; i < y.length; i++) {
      if (testFolds[i] === f) test[a++] = i;
      else train[b++] = i;
    }
    out.push({ train, test });
  }
  return out;
}
