import { test } from 'node:test';
import { METRIC_KINDS } from '../../src/protocol/metrics.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { savePredictionsBeside } from '../../src/evaluate/save-predictions.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { compareRuns, renderCompareTable } from '../../src/report/compare.js';
import { pairedBootstrap, pearson, stratifiedPairedBootstrap } from '../../src/stats/index.js';
import { readResultsFile } from '../../src/results/read.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { Rng } from '../../src/util/rng.js';
import { senteval } from '../helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-compare-sts-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('stratified bootstrap: one stratum draws what the plain paired bootstrap draws', () => {
  const rng = new Rng(5);
  const n = 80;
  const g = Array.from({ length: n }, () => rng.uniform(0, 5));
  const pa = g.map((v) => v + rng.uniform(-2, 2));
  const pb = g.map((v) => v + rng.uniform(-1, 1));
  const plain = pairedBootstrap(n, [(s, w) => pearson(g, s ? pb : pa, w)], 9, 500);
  const strat = stratifiedPairedBootstrap([n], [(s, w) => pearson(g, s ? pb : pa, w?.[0])], 9, 500);
  assert.deepEqual(strat, plain);
});

test("compare on STS13 (bow vs borep): the year's all scores by a bootstrap stratified by dataset, then each dataset", async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const tasks = resolveTasks('STS13');
  const files: string[] = [];
  for (const [name, spec] of [
    ['bow', { encoder: 'bow' }],
    ['borep', { encoder: 'borep', dim: 512, projectionSeed: 1111 }],
  ] as const) {
    const out = join(tmp, `${name}.json`);
    const encoder = await createEncoder(spec);
    await evaluate(encoder, {
      tasks,
      dataDir,
      settings: resolveSettings('fast'),
      seeds: [1111],
      outPath: out,
      progress: silentProgress,
      onPredictions: savePredictionsBeside(out),
    });
    files.push(out);
  }
  const [a, b] = files.map(readResultsFile) as [ReturnType<typeof readResultsFile>, ReturnType<typeof readResultsFile>];
  const rep = compareRuns(a, b, { resamples: 400, seed: 3 });
  assert.deepEqual(
    rep.rows.map((r) => r.metric),
    [
      'spearman',
      'pearson',
      'spearman_wmean',
      'pearson_wmean',
      'spearman_pooled',
      'pearson_pooled',
      'pearson_FNWN',
      'spearman_FNWN',
      'pearson_headlines',
      'spearman_headlines',
      'pearson_OnWN',
      'spearman_OnWN',
    ],
  );
  const all = rep.rows.slice(0, 6);
  assert.ok(all.every((r) => r.n === 1500 && r.split === 'all' && /stratified by dataset \(3\)/.test(r.method)));
  // Recomputed from the sidecars, the scores are the results files' (×100), which keep 4 decimals.
  const rounding = 100 * 0.5 * 10 ** -METRIC_KINDS.correlation.decimals + 1e-9;
  for (const r of rep.rows) {
    assert.ok(Math.abs(r.a - 100 * a.results.tasks.STS13!.metrics[r.metric]!) <= rounding, `A ${r.metric}`);
    assert.ok(Math.abs(r.b - 100 * b.results.tasks.STS13!.metrics[r.metric]!) <= rounding, `B ${r.metric}`);
    assert.ok(r.ciLow <= r.difference && r.difference <= r.ciHigh, `${r.metric}: ${r.ciLow} ≤ ${r.difference} ≤ ${r.ciHigh}`);
  }
  assert.equal(rep.rows.find((r) => r.metric === 'spearman_FNWN')!.n, 189);
  assert.match(renderCompareTable(rep), /STS13 +spearman +1500 /);
  // A run against itself: no difference, a zero-width interval.
  const self = compareRuns(a, a, { resamples: 200 });
  assert.ok(self.rows.every((r) => r.difference === 0 && r.ciLow === 0 && r.ciHigh === 0 && r.verdict === 'no significant difference'));
});
