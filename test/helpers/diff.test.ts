/** The parity tests' comparison fails on a NaN wherever it is. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAllClose, assertClose, assertWithin, differs, maxAbsDiff, worse, worstAbsDiff } from './diff.js';

const base = [0.5, -1, 2, 3.25];

test('a NaN anywhere, on either side, is the largest difference and fails every tolerance', () => {
  for (let i = 0; i < base.length; i++) {
    for (const side of ['a', 'b'] as const) {
      const bad = [...base];
      bad[i] = NaN;
      const [a, b] = side === 'a' ? [bad, base] : [base, bad];
      assert.ok(Number.isNaN(maxAbsDiff(Float32Array.from(a), Float64Array.from(b))), `NaN at ${i} on ${side}`);
      assert.equal(worstAbsDiff(a, b).index, i);
      assert.throws(() => assertAllClose(a, b, Infinity, 'x'), /NaN at/);
    }
  }
  // The pattern it replaces let a later element overwrite the NaN.
  let d = 0;
  for (const x of [NaN, 0.25]) if (!(x <= d)) d = x;
  assert.equal(d, 0.25);
});

test('differences, tolerances and ranges', () => {
  assert.equal(
    maxAbsDiff(
      base,
      base.map((x, i) => x + (i === 2 ? -0.5 : 0.1)),
    ),
    0.5,
  );
  assert.deepEqual(worstAbsDiff([], []), { diff: 0, index: -1 });
  assert.throws(() => maxAbsDiff([1], [1, 2]), /length/);
  assert.ok(Number.isNaN(worse(0.1, NaN)) && Number.isNaN(worse(NaN, 0.1)));
  assert.ok(differs(1, NaN, 10) && differs(NaN, NaN, 10) && differs(1, 1.2, 0.1) && !differs(1, 1.05, 0.1));
  assertClose(1.05, 1, 0.1, 'x');
  assert.throws(() => assertClose(NaN, 1, Infinity, 'x'), /NaN/);
  assert.throws(() => assertClose(undefined, 1, 1, 'x'), /no value/);
  assertWithin(2, 1, 3, 'x');
  assert.throws(() => assertWithin(NaN, -Infinity, Infinity, 'x'), /outside/);
  assert.throws(() => assertWithin(4, 1, 3, 'x'), /outside/);
});
