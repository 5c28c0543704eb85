import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitLinearMap } from '../../src/vectors/expansion.js';
import { maxAbsDiff, worse } from '../helpers/diff.js';

// scikit-learn's LinearRegression (scipy lstsq, LAPACK gelsd) on underdetermined and rank-deficient
// systems: scripts/fixtures/make_lstsq_expected.py.
interface Case {
  name: string;
  n: number;
  d: number;
  e: number;
  rank: number;
  X: number[];
  Y: number[];
  coef: number[];
  intercept: number[];
}
const cases = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'gensen', 'expected', 'lstsq-cases.json'), 'utf8')) as Case[];

for (const c of cases) {
  test(`least squares as scikit-learn: ${c.name}`, async () => {
    const map = await fitLinearMap(Float32Array.from(c.X), Float32Array.from(c.Y), c.n, c.d, c.e);
    assert.equal(map.rank, c.rank);
    const worst = worse(maxAbsDiff(map.coef, c.coef), maxAbsDiff(map.intercept, c.intercept));
    assert.ok(worst <= 1e-5, `max difference ${worst}`);
    // Not trivially small either: a solver that returned zeros would fail.
    assert.ok(c.rank === 0 || c.coef.some((x) => Math.abs(x) > 1e-3));
  });
}

test('no shared word at all is a one-line user error', async () => {
  await assert.rejects(fitLinearMap(new Float32Array(0), new Float32Array(0), 0, 4, 2), /share no word/);
});
