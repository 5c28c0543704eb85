import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegression, defaultTolerance, renderCheckTable } from '../../src/report/check.js';
import type { CheckRow } from '../../src/report/check.js';
import { UserError } from '../../src/util/errors.js';
import { fixture, load } from './fixtures.js';
import { runCli } from '../helpers/cli.js';

function row(rows: readonly CheckRow[], task: string): CheckRow {
  const r = rows.find((x) => x.task === task);
  assert.ok(r, `no row for ${task}`);
  return r;
}

test('default tolerances follow the documented seed-noise table', () => {
  assert.equal(defaultTolerance('SST2', 'acc'), 1.0);
  assert.equal(defaultTolerance('MRPC', 'acc'), 2.5);
  assert.equal(defaultTolerance('TREC', 'acc'), 1.5);
  assert.equal(defaultTolerance('STS-B', 'pearson'), 1.0);
  assert.equal(defaultTolerance('SICKRelatedness', 'pearson'), 1.0);
});

test('drops just inside the default tolerance pass (accuracy and correlation)', () => {
  const rep = checkRegression(load('base.json'), load('new-inside.json'));
  assert.equal(rep.exitCode, 0);
  const sst = row(rep.rows, 'SST2');
  assert.ok(Math.abs(sst.difference! - -0.99) < 1e-9);
  assert.equal(sst.tolerance, 1.0);
  assert.equal(sst.verdict, 'ok');
  const sts = row(rep.rows, 'STS-B');
  // 0.5751 − 0.5850 as a fraction is −0.0099: −0.99 points against the 1.0-point (0.01) default.
  assert.ok(Math.abs(sts.difference! - -0.99) < 1e-9);
  assert.equal(sts.verdict, 'ok');
  assert.equal(rep.rows.filter((r) => r.verdict !== 'ok').length, 0);
});

test('drops just outside the tolerance fail; MRPC and TREC use their wider defaults', () => {
  const rep = checkRegression(load('base.json'), load('new-outside.json'));
  assert.equal(rep.exitCode, 1);
  assert.equal(row(rep.rows, 'SST2').verdict, 'regression'); // −1.01 > 1.0
  assert.equal(row(rep.rows, 'TREC').verdict, 'regression'); // −1.6 > 1.5
  const mrpc = row(rep.rows, 'MRPC');
  assert.ok(Math.abs(mrpc.difference! - -2.4) < 1e-9);
  assert.equal(mrpc.verdict, 'ok'); // −2.4 within 2.5
  assert.equal(rep.regressions, 2);
  assert.match(renderCheckTable(rep), /FAIL: 2 regression/);
});

test('an explicit tolerance applies to every task, in points', () => {
  assert.equal(checkRegression(load('base.json'), load('new-outside.json'), { tolerance: 1.6 }).exitCode, 1); // MRPC −2.4
  assert.equal(checkRegression(load('base.json'), load('new-outside.json'), { tolerance: 2.4 }).exitCode, 0);
  const rep = checkRegression(load('base.json'), load('new-inside.json'), { tolerance: 0.5 });
  assert.equal(row(rep.rows, 'SST2').verdict, 'regression');
  assert.equal(row(rep.rows, 'STS-B').verdict, 'regression');
});

test('improvements beyond tolerance are reported as such and pass', () => {
  const rep = checkRegression(load('base.json'), load('borep.json'));
  assert.equal(rep.exitCode, 0);
  assert.equal(row(rep.rows, 'TREC').verdict, 'improved'); // +9.2
  assert.equal(row(rep.rows, 'MR').verdict, 'improved'); // +1.9
  assert.equal(row(rep.rows, 'MRPC').verdict, 'ok'); // +1.2 < 2.5
});

test('auto tolerance uses 3× the seed std, with a floor', () => {
  const rep = checkRegression(load('base.json'), load('seeds.json'));
  const sst = row(rep.rows, 'SST2');
  assert.ok(Math.abs(sst.tolerance! - 3 * 0.501) < 1e-12);
  assert.match(sst.toleranceBasis!, /3×seed std 0\.50/);
  const sick = row(rep.rows, 'SICK-R');
  // std 0.000611 → 0.0611 points, 3σ = 0.18 < floor 0.3.
  assert.equal(sick.tolerance, 0.3);
  assert.match(sick.toleranceBasis!, /floor/);
  assert.equal(row(rep.rows, 'MR').toleranceBasis, 'default');
  // The spread counts from either side.
  assert.ok(Math.abs(row(checkRegression(load('seeds.json'), load('base.json')).rows, 'SST2').tolerance! - 1.503) < 1e-12);
});

test('a task missing from the new run is reported and fails unless allowed', () => {
  const rep = checkRegression(load('base.json'), load('missing-task.json'));
  const trec = row(rep.rows, 'TREC');
  assert.equal(trec.verdict, 'missing');
  assert.equal(trec.baseline, 71.0);
  assert.equal(rep.exitCode, 1);
  assert.equal(rep.regressions, 0);
  assert.equal(checkRegression(load('base.json'), load('missing-task.json'), { allowMissing: true }).exitCode, 0);
  // The other way round the task is new, which never fails.
  const rev = checkRegression(load('missing-task.json'), load('base.json'));
  assert.equal(row(rev.rows, 'TREC').verdict, 'new');
  assert.equal(rev.exitCode, 0);
});

test('fingerprint mismatch is unusable input unless --allow-mixed', () => {
  assert.throws(
    () => checkRegression(load('base.json'), load('fast.json')),
    (e: unknown) => e instanceof UserError && e.exitCode === 2 && /fingerprints differ for MR, CR/.test(e.message),
  );
  assert.throws(
    () => checkRegression(load('base.json'), load('other-data.json')),
    (e: unknown) => e instanceof UserError && /fingerprints differ for SST2 \(/.test(e.message),
  );
  const rep = checkRegression(load('base.json'), load('fast.json'), { allowMixed: true });
  assert.equal(row(rep.rows, 'MR').mixed, true);
  assert.equal(rep.exitCode, 0);
});

test('no common task is unusable input', () => {
  assert.throws(
    () => checkRegression(load('base.json'), load('no-common.json')),
    (e: unknown) => e instanceof UserError && /no task in common/.test(e.message),
  );
});

test('CLI: exit codes 0 / 1 / 2, table and JSON output', async () => {
  const pass = runCli(['check', fixture('new-inside.json'), '--against', fixture('base.json')]);
  assert.equal(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /task\s+baseline\s+new\s+difference\s+tolerance\s+verdict/);
  assert.match(pass.stdout, /SST2 acc\s+76\.00\s+75\.01\s+-0\.99\s+1\.00 default\s+ok/);
  assert.match(pass.stdout, /PASS/);

  const fail = runCli(['check', fixture('new-outside.json'), '--against', fixture('base.json'), '--json']);
  assert.equal(fail.status, 1);
  const rep = JSON.parse(fail.stdout) as { exitCode: number; rows: { task: string; verdict: string }[] };
  assert.equal(rep.exitCode, 1);
  assert.equal(rep.rows.find((r) => r.task === 'TREC')?.verdict, 'regression');

  for (const args of [
    ['check', fixture('nope.json'), '--against', fixture('base.json')],
    ['check', fixture('bad-json.json'), '--against', fixture('base.json')],
    ['check', fixture('no-common.json'), '--against', fixture('base.json')],
    ['check', fixture('fast.json'), '--against', fixture('base.json')],
    ['check', fixture('base.json'), '--against', fixture('base.json'), '--tolerance', 'lots'],
  ]) {
    const bad = runCli(args);
    assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr, /^gensen-eval: /);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.equal(bad.stdout, '');
  }
  const mixed = runCli(['check', fixture('fast.json'), '--against', fixture('base.json'), '--allow-mixed']);
  assert.equal(mixed.status, 0, mixed.stderr);
  assert.match(mixed.stdout, /MR acc \(mixed\)/);
});
