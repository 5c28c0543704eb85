import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readResultsFile } from '../../src/results/read.js';
import { UserError } from '../../src/util/errors.js';
import { fixture, load } from './fixtures.js';

test('a complete results file reads back with every task and field', () => {
  const r = load('base.json');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.results.schemaVersion, 1);
  assert.deepEqual(Object.keys(r.results.tasks), ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC', 'SICK-R', 'SICK-E', 'STS-B']);
  assert.equal(r.results.tasks['STS-B'].metrics.pearson, 0.585);
  assert.equal(r.results.tasks.MRPC.dataFiles.length, 2);
  assert.equal(r.results.device, 'cpu');
});

test('an old-format file (no schemaVersion, no optional fields, a null metric) is read with warnings', () => {
  const r = load('old-format.json');
  assert.equal(r.results.schemaVersion, 1);
  assert.equal(r.results.device, undefined);
  assert.ok(Number.isNaN(r.results.tasks.MR.wallSeconds));
  assert.deepEqual(r.results.tasks.MR.samples, {});
  assert.equal('f1' in r.results.tasks.MRPC.metrics, false);
  assert.equal(r.results.tasks.MRPC.metrics.acc, 71.3);
  assert.equal(r.warnings.length, 2);
  assert.ok(
    r.warnings.some((w) => /tasks\.MRPC\.metrics\.f1 is null/.test(w)),
    r.warnings.join('\n'),
  );
  assert.ok(
    r.warnings.some((w) => /no schemaVersion/.test(w)),
    r.warnings.join('\n'),
  );
});

test('multi-seed fields are read', () => {
  const t = load('seeds.json').results.tasks.SST2;
  assert.deepEqual(t.seeds, [1111, 1112, 1113]);
  assert.equal(t.perSeed?.length, 3);
  assert.equal(t.spread?.acc.std, 0.501);
});

function userError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && e.exitCode === 2 && re.test(e.message));
}

test('bad input: malformed JSON names file, line and column', () => {
  userError(() => readResultsFile(fixture('bad-json.json')), /bad-json\.json:4:\d+: not valid JSON/);
});

test('bad input: missing file, main metric not among metrics, newer schema', () => {
  userError(() => readResultsFile(fixture('nope.json')), /nope\.json: cannot read results file \(no such file\)/);
  userError(() => readResultsFile(fixture('bad-main-metric.json')), /tasks\.MR\.mainMetric': names 'f1', which is not among its metrics/);
  userError(() => readResultsFile(fixture('future-version.json')), /schemaVersion 99 is newer/);
});
