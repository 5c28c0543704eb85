/**
 * The one numeric comparison of the parity tests. A NaN anywhere is the worst possible difference:
 * it is returned, never overwritten by a later element, and no tolerance accepts it (every check is
 * written `d <= tol`, which is false for NaN, never `!(d > tol)`).
 */
import assert from 'node:assert/strict';

export interface Worst {
  /** Largest |a − b|, or NaN as soon as one difference is NaN. */
  diff: number;
  /** Where: the first NaN, else the first largest difference; −1 for empty arrays. */
  index: number;
}

/** Largest |a − b| over two equally long arrays, and where. */
export function worstAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): Worst {
  assert.equal(a.length, b.length, 'compared arrays differ in length');
  let diff = 0;
  let index = a.length > 0 ? 0 : -1;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(x)) return { diff: NaN, index: i };
    if (x > diff) {
      diff = x;
      index = i;
    }
  }
  return { diff, index };
}

/** Largest |a − b| over two equally long arrays; NaN if any difference is NaN. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return worstAbsDiff(a, b).diff;
}

/** The worse of two differences, NaN winning (Math.max's rule, stated). */
export function worse(a: number, b: number): number {
  return Math.max(a, b);
}

/** The worse of two located differences (`{ diff, … }`), a NaN winning and staying. */
export function worseOf<T extends { diff: number }>(a: T, b: T): T {
  if (Number.isNaN(a.diff)) return a;
  return Number.isNaN(b.diff) || b.diff > a.diff ? b : a;
}

/** True where a and b are not within tol of each other; a NaN on either side counts as differing. */
export function differs(a: number, b: number, tol: number): boolean {
  return !(Math.abs(a - b) <= tol);
}

/** |actual − expected| ≤ tol; fails on NaN on either side. */
export function assertClose(actual: number | undefined, expected: number, tol: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: no value`);
  const d = Math.abs(actual! - expected);
  assert.ok(d <= tol, `${what}: ${actual} vs ${expected} (|diff| ${d} > ${tol})`);
}

/** Every |a_i − b_i| ≤ tol; fails on any NaN, naming the first offending index. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  const w = worstAbsDiff(actual, expected);
  assert.ok(w.diff <= tol, `${what}: max |diff| ${w.diff} at ${w.index} (${actual[w.index]} vs ${expected[w.index]}) > ${tol}`);
}

/** lo ≤ x ≤ hi; fails on NaN. */
export function assertWithin(x: number | undefined, lo: number, hi: number, what: string): void {
  assert.equal(typeof x, 'number', `${what}: no value`);
  assert.ok(x! >= lo && x! <= hi, `${what}: ${x} outside [${lo}, ${hi}]`);
}
