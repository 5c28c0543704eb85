import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareRuns, holmSurvivors, renderCompareTable } from '../../src/report/compare.js';
import { UserError } from '../../src/util/errors.js';
import { fixture, load } from './fixtures.js';
import { runCli } from '../helpers/cli.js';

interface ExpectedRow {
  task: string;
  metric: string;
  n: number;
  a: number;
  b: number;
  difference: number;
  ciLow: number;
  ciHigh: number;
  pValue?: number;
  bootstrapP: number;
  discordant?: [number, number];
}
interface Expected {
  seed: number;
  resamples: number;
  alpha: number;
  rows: ExpectedRow[];
}

// Written by: /usr/bin/python3 scripts/reference/compare_check.py test/fixtures/results/pair-a.json
//   test/fixtures/results/pair-b.json --resamples 2000 (scipy binomtest, sklearn f1, numpy corrcoef,
//   scipy spearmanr on gathered resamples; draws from a Python port of src/util/rng.ts).
const expected = JSON.parse(readFileSync(fixture('compare-expected.json'), 'utf8')) as Expected;

test('compare agrees with the independent scipy computation: values, McNemar p, bootstrap intervals', () => {
  const rep = compareRuns(load('pair-a.json'), load('pair-b.json'), { seed: expected.seed, resamples: expected.resamples, alpha: expected.alpha });
  assert.equal(rep.rows.length, expected.rows.length);
  for (const e of expected.rows) {
    const r = rep.rows.find((x) => x.task === e.task && x.metric === e.metric);
    assert.ok(r, `missing ${e.task} ${e.metric}`);
    const where = `${e.task} ${e.metric}`;
    assert.equal(r.n, e.n, where);
    for (const k of ['a', 'b', 'difference', 'ciLow', 'ciHigh'] as const) {
      assert.ok(Math.abs(r[k] - e[k]) < 1e-9, `${where} ${k}: ${r[k]} vs ${e[k]}`);
    }
    // Bootstrap p from the same resamples as the interval (both sides counted the same way in Python).
    assert.ok(Math.abs(r.bootstrapP - e.bootstrapP) < 1e-12, `${where} bootstrap p: ${r.bootstrapP} vs ${e.bootstrapP}`);
    if (e.pValue !== undefined) {
      assert.ok(Math.abs(r.pValue! - e.pValue) < 1e-12 * Math.max(1, e.pValue), `${where} p: ${r.pValue} vs ${e.pValue}`);
      assert.deepEqual(r.discordant, e.discordant);
      assert.match(r.method, /McNemar exact/);
    } else {
      assert.equal(r.method, 'paired bootstrap');
      assert.equal(r.pValue, r.bootstrapP);
    }
  }
});

test('verdicts: McNemar decides accuracy, the interval decides F1 and correlations', () => {
  const rep = compareRuns(load('pair-a.json'), load('pair-b.json'), { resamples: 2000 });
  const v = (task: string, metric: string): string => rep.rows.find((r) => r.task === task && r.metric === metric)!.verdict;
  assert.equal(v('TREC', 'acc'), 'better'); // p = 0.0041, B right on 93 vs 57 discordant
  assert.equal(v('MRPC', 'acc'), 'no significant difference'); // p = 0.41
  assert.equal(v('MRPC', 'f1'), 'no significant difference');
  assert.equal(v('SICK-R', 'pearson'), 'better'); // interval [0.03, 4.66]
  assert.equal(v('MultiNLI', 'acc_mismatched'), 'no significant difference');
  // Swapping A and B flips the sign and the verdict.
  const rev = compareRuns(load('pair-b.json'), load('pair-a.json'), { resamples: 2000 });
  const trec = rev.rows.find((r) => r.task === 'TREC' && r.metric === 'acc')!;
  assert.equal(trec.verdict, 'worse');
  assert.ok(Math.abs(trec.difference + 7.2) < 1e-9);
  const text = renderCompareTable(rep);
  assert.match(text, /TREC\s+acc\s+500\s+78\.40\s+85\.60\s+\+7\.20/);
  assert.match(text, /2000 resamples, seed 1111/);
});

test('the same seed gives the same intervals; another seed other draws', () => {
  const a = compareRuns(load('pair-a.json'), load('pair-b.json'), { resamples: 500 });
  const b = compareRuns(load('pair-a.json'), load('pair-b.json'), { resamples: 500 });
  const c = compareRuns(load('pair-a.json'), load('pair-b.json'), { resamples: 500, seed: 7 });
  assert.deepEqual(a.rows, b.rows);
  assert.notDeepEqual(
    a.rows.map((r) => r.ciLow),
    c.rows.map((r) => r.ciLow),
  );
});

test('gold labels in another order are refused', () => {
  assert.throws(
    () => compareRuns(load('pair-a.json'), load('pair-shuffled.json'), { resamples: 200 }),
    (e: unknown) => e instanceof UserError && /MRPC \(test\): gold labels differ at example \d+/.test(e.message),
  );
});

test('a run without sidecars names the task and --save-predictions', () => {
  assert.throws(
    () => compareRuns(load('base.json'), load('pair-b.json'), { resamples: 200 }),
    (e: unknown) => e instanceof UserError && /base\.json: task TREC has no prediction sidecar.*--save-predictions/.test(e.message),
  );
});

test('CLI: compare prints the table; a missing sidecar file is exit 2 with its name', async () => {
  const ok = runCli(['compare', fixture('pair-a.json'), fixture('pair-b.json'), '--resamples', '300', '--tasks', 'TREC']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /TREC\s+acc\s+500/);
  assert.doesNotMatch(ok.stdout, /MRPC/);
  const bad = runCli(['compare', fixture('pair-a.json'), fixture('new-inside.json')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no prediction sidecar.*--save-predictions/);
});

test("the table explains McNemar's counts, gives bootstrap p for F1/correlations, and notes multiple comparisons (Holm)", () => {
  const rep = compareRuns(load('pair-a.json'), load('pair-b.json'), { resamples: 2000 });
  const text = renderCompareTable(rep);
  // TREC: 57 examples only A gets right, 93 only B: B better.
  assert.match(text, /McNemar exact \(A-only right 57, B-only right 93\)/);
  assert.match(text, /"A-only right" counts test examples A classifies correctly and B does not/);
  const sick = rep.rows.find((r) => r.task === 'SICK-R' && r.metric === 'pearson')!;
  assert.ok(sick.pValue <= 0.05 && sick.pValue > 0, String(sick.pValue)); // the interval excludes 0
  const lines = text.split('\n');
  assert.ok(lines.some((l) => /^SICK-R\s+pearson/.test(l) && l.includes(sick.pValue.toFixed(4))));
  const n = rep.rows.length;
  assert.match(text, new RegExp(`multiple comparisons: ${n} tests at alpha 0\\.05 each`));
  assert.match(text, /survive Holm–Bonferroni over all/);
  // Holm by hand: sorted p against alpha/(m-k), stopping at the first failure.
  assert.deepEqual(holmSurvivors([0.01, 0.04, 0.03, 0.2], 0.05), [true, false, false, false]);
  assert.deepEqual(holmSurvivors([0.001, 0.012, 0.02, 0.2], 0.05), [true, true, true, false]);
  assert.deepEqual(holmSurvivors([0.5], 0.05), [false]);
});
