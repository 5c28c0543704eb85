import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { senteval, repoRoot } from '../helpers/data.js';

/** test/fixtures/sts/bow-reference.json, written by scripts/reference/sts_reference.py. */
interface YearRef {
  datasets: Record<string, { pearson: number; spearman: number; nsamples: number }>;
  all: Record<'pearson' | 'spearman', { all: number; mean: number; wmean: number }>;
}
interface Ref {
  dataFiles: Record<string, string>;
  years: Record<string, YearRef>;
  float32Vectors: Record<string, YearRef>;
}
const ref = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'sts', 'bow-reference.json'), 'utf8')) as Ref;

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-sts-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function expectedMetrics(y: YearRef): Record<string, number> {
  const m: Record<string, number> = {};
  for (const s of ['pearson', 'spearman'] as const) {
    m[s] = y.all[s].mean;
    m[`${s}_wmean`] = y.all[s].wmean;
    m[`${s}_pooled`] = y.all[s].all;
    for (const [ds, v] of Object.entries(y.datasets)) m[`${s}_${ds}`] = v[s];
  }
  return m;
}

test('STS12-STS16 with the bow encoder match SentEval (sts.py + bow batcher) on the same vectors', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const encoder = await createEncoder({ encoder: 'bow' });
  const tasks = resolveTasks('STS12,STS13,STS14,STS15,STS16');
  const run = await evaluate(encoder, { tasks, dataDir, settings: resolveSettings('fast'), seeds: [1111, 1112], progress: silentProgress });
  for (const def of tasks) {
    const r = run.tasks[def.id]!;
    const y = ref.years[def.id]!;
    // The fixture was computed from these very files.
    for (const f of r.dataFiles) assert.equal(f.sha256, ref.dataFiles[f.path], `${def.id}: ${f.path} is the file the reference read`);
    assert.equal(r.dataFiles.length, Object.keys(y.datasets).length * 2);
    assert.deepEqual(r.samples, Object.fromEntries(Object.entries(y.datasets).map(([k, v]) => [k, v.nsamples])));
    assert.equal(r.mainMetric, 'spearman');
    assert.equal(r.protocol, 'unsupervised-sts');
    // No probe, no seed: one pass, no seed spread, even when seeds are asked for.
    assert.equal(r.seeds, undefined);
    assert.equal(r.spread, undefined);
    const want = expectedMetrics(y);
    const want32 = expectedMetrics(ref.float32Vectors[def.id]!);
    assert.deepEqual(Object.keys(r.metrics).sort(), Object.keys(want).sort(), def.id);
    assert.deepEqual(Object.keys(r.metrics), def.metrics, `${def.id}: metrics in the definition's order`);
    for (const [k, v] of Object.entries(want)) {
      // The bar: SentEval as it runs (float64 sentence vectors) to 1e-4.
      assert.ok(Math.abs(r.metrics[k]! - v) < 1e-4, `${def.id} ${k}: ${r.metrics[k]} vs SentEval ${v}`);
      // With SentEval's vectors rounded to float32, as the harness's encoders return them, the
      // numbers agree to rounding: the remaining difference above is Spearman's ties only.
      assert.ok(Math.abs(r.metrics[k]! - want32[k]!) < 1e-7, `${def.id} ${k}: ${r.metrics[k]} vs float32 SentEval ${want32[k]}`);
    }
  }
  // The headline number SimCSE-era tables quote, spelled out for one year.
  assert.ok(Math.abs(run.tasks.STS12!.metrics.spearman! - ref.years.STS12!.all.spearman.mean) < 1e-4);
});

test('unsupervised STS ignores the probe preset: same numbers and fingerprint under paper and fast', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const encoder = await createEncoder({ encoder: 'bow' });
  const tasks = resolveTasks('STS-13');
  const a = await evaluate(encoder, { tasks, dataDir, settings: resolveSettings('paper'), seeds: [1111], progress: silentProgress });
  const b = await evaluate(encoder, { tasks, dataDir, settings: resolveSettings('fast', { nhid: 50 }), seeds: [7], progress: silentProgress });
  assert.deepEqual(a.tasks.STS13!.metrics, b.tasks.STS13!.metrics);
  assert.equal(a.tasks.STS13!.fingerprint, b.tasks.STS13!.fingerprint);
  assert.deepEqual(a.tasks.STS13!.samples, { FNWN: 189, headlines: 750, OnWN: 561 });
  assert.ok(!a.tasks.STS13!.dataFiles.some((f) => f.path.includes('SMT')), 'the licensed SMT file of 2013 is not read');
});
