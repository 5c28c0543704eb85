import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { checkRegression, defaultTolerance } from '../../src/report/check.js';
import { buildLeaderboard } from '../../src/report/leaderboard.js';
import { loadReferenceSet } from '../../src/report/reference.js';
import { readResultsFile } from '../../src/results/read.js';
import type { RunResults } from '../../src/results/schema.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { senteval } from '../helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-sts-reports-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('default tolerances of the new tasks: SST5 from its seed noise, STS years deterministic', () => {
  assert.equal(defaultTolerance('SST5', 'acc'), 2.5);
  assert.equal(defaultTolerance('STS12', 'spearman'), 0.2);
  assert.equal(defaultTolerance('sts-2012', 'pearson'), 0.2);
});

test('the sts reference set: verified STS14 cells of the InferSent README, unverified SentEval-paper rows', () => {
  const s = loadReferenceSet('sts');
  const row = (id: string) => s.rows.find((r) => r.id === id)!;
  const cell = (id: string, task: string, metric: string) => row(id).cells.find((c) => c.task === task && c.metric === metric)!;
  assert.equal(cell('InferSent-GloVe-STS14', 'STS14', 'pearson').value, 0.68);
  assert.equal(cell('InferSent-GloVe-STS14', 'STS14', 'spearman').value, 0.65);
  assert.equal(cell('fastText-BoV-STS14', 'STS14', 'spearman').verified, true);
  for (const id of ['SentEval-GloVe-BoW', 'SentEval-fastText-BoW', 'SentEval-InferSent']) {
    assert.deepEqual(
      row(id).cells.map((c) => c.task),
      ['STS12', 'STS13', 'STS14', 'STS15', 'STS16'],
    );
    assert.ok(row(id).cells.every((c) => !c.verified && /NOT verified/.test(c.source)));
  }
});

test('STS years in check and leaderboard: a 0.3-point drop fails the deterministic gate, 0.1 passes; ρ and r columns', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const out = join(tmp, 'base.json');
  await evaluate(await createEncoder({ encoder: 'bow' }), {
    tasks: resolveTasks('STS13,SST5'),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    outPath: out,
    progress: silentProgress,
  });
  const doc = JSON.parse(readFileSync(out, 'utf8')) as RunResults;
  const shifted = (by: number, name: string): string => {
    const m = { ...doc.tasks.STS13!.metrics, spearman: doc.tasks.STS13!.metrics.spearman! + by };
    const p = join(tmp, name);
    writeFileSync(p, JSON.stringify({ ...doc, tasks: { ...doc.tasks, STS13: { ...doc.tasks.STS13!, metrics: m } } }));
    return p;
  };
  const base = readResultsFile(out);
  const bad = checkRegression(base, readResultsFile(shifted(-0.003, 'bad.json')));
  const row = bad.rows.find((r) => r.task === 'STS13')!;
  assert.equal(row.metric, 'spearman');
  assert.equal(row.tolerance, 0.2);
  assert.equal(row.toleranceBasis, 'default (deterministic)');
  assert.equal(row.verdict, 'regression');
  assert.equal(bad.exitCode, 1);
  assert.equal(bad.rows.find((r) => r.task === 'SST5')!.tolerance, 2.5);
  assert.equal(checkRegression(base, readResultsFile(shifted(-0.001, 'ok.json'))).exitCode, 0);

  const lb = buildLeaderboard([base], [loadReferenceSet('sts')]);
  assert.deepEqual(
    lb.columns.map((c) => c.header),
    ['SST5', 'STS12 r', 'STS13 ρ', 'STS13 r', 'STS14 ρ', 'STS14 r', 'STS15 r', 'STS16 r'],
  );
  const mine = lb.rows.find((r) => r.kind === 'run')!;
  assert.ok(Math.abs(mine.cells['STS13.spearman']!.value - 100 * doc.tasks.STS13!.metrics.spearman!) < 1e-9);
  assert.equal(mine.cells['STS13.pearson']!.mixed, false);
});
