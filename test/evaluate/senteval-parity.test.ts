/**
 * The headline claim: with the same encoder, the harness's numbers are SentEval's. Checked against
 * test/fixtures/senteval/bow-reference.json, which scripts/reference/senteval_reference.py writes by
 * running the real facebookresearch/SentEval with the bow encoder (examples/bow.py over the same
 * embedded vectors) for seeds 1111, 1112 and 1113: the ten tasks under `paper`, the CI gate's six
 * under `fast`.
 *
 * The harness cannot share SentEval's random streams (numpy's and torch's), so it is one more draw
 * from the same distribution: one draw falls outside the range of three about half the time, so
 * "inside SentEval's min..max" would fail a faithful harness on most of these 16 checks. The check
 * is instead on means over the same three seeds: |harness mean − SentEval mean| ≤ 2 × the larger of
 * the two seed ranges, which a faithful harness meets with probability ≈ 0.995 per check (normal
 * seed noise, by simulation). A range is widened by any wrong value in it, so the bound is capped at
 * twice the task's stated regression tolerance (`report.tolerance`: 1 point, TREC 1.5, MRPC 2.5; a
 * correlation's 0.01): a grossly wrong number on either side cannot buy itself a wide enough bound.
 * Widened by a float margin of half a rounding unit, because both sides round before comparing:
 * accuracies to 0.01 points (SentEval's round(100·acc, 2), as the harness), correlations to 1e-4
 * (the harness's results file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import type { RunResults } from '../../src/results/schema.js';
import { resolveTask, resolveTasks } from '../../src/tasks/registry.js';
import { repoRoot, senteval } from '../helpers/data.js';

const SEEDS = [1111, 1112, 1113];
const PLAN: Record<'paper' | 'fast', string[]> = {
  paper: ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC', 'SICK-R', 'SICK-E', 'STS-B'],
  fast: ['CR', 'TREC', 'MRPC', 'SICK-E', 'SICK-R', 'STS-B'],
};
/** Half a rounding unit of each metric's scale (see the header). */
const MARGIN: Record<string, number> = { acc: 0.005, pearson: 5e-5 };

interface Reference {
  senteval: string;
  torch: string;
  results: Record<string, Record<string, Record<string, Record<string, number>>>>;
}
const ref = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'senteval', 'bow-reference.json'), 'utf8')) as Reference;

test.after(() => closeProbePool());

/** Mean and range (max − min) of three values; NaN in, NaN out. */
function summary(xs: readonly number[]): { mean: number; range: number } {
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, range: Math.max(...xs) - Math.min(...xs) };
}

/** The check of the header, for one task: fails on NaN, on a missing seed, and beyond the bound. */
function assertWithinSeedNoise(task: string, metric: string, harness: readonly number[], senteval: readonly number[]): void {
  assert.equal(harness.length, SEEDS.length, `${task}: harness seeds`);
  assert.equal(senteval.length, SEEDS.length, `${task}: SentEval seeds in the fixture`);
  const h = summary(harness);
  const s = summary(senteval);
  // report.tolerance is in points; correlations are reported ×100.
  const cap = (2 * resolveTask(task).report.tolerance) / (metric === 'acc' ? 1 : 100);
  const bound = Math.min(2 * Math.max(h.range, s.range), cap) + MARGIN[metric]!;
  const d = Math.abs(h.mean - s.mean);
  assert.ok(
    d <= bound,
    `${task} ${metric}: harness ${harness.join(' / ')} (mean ${h.mean.toFixed(4)}) vs SentEval ${senteval.join(' / ')} (mean ${s.mean.toFixed(4)}): |diff| ${d.toFixed(4)} > ${bound.toFixed(4)}`,
  );
}

/** SentEval's main metric of `task` under `config`, per seed, as far as the fixture has it. */
function reference(config: string, task: string, metric: string): number[] {
  return SEEDS.map((s) => ref.results[config]?.[task]?.[String(s)]?.[metric]).filter((v): v is number => v !== undefined);
}

for (const config of ['paper', 'fast'] as const) {
  test(`SentEval parity, ${config}: ${PLAN[config].join(' ')} with the bow encoder, seeds ${SEEDS.join(', ')}, against the real toolkit`, async (t) => {
    const dataDir = senteval(t);
    if (!dataDir) return;
    const main = (task: string): string => resolveTask(task).mainMetric;
    // A task whose three SentEval seeds are not all in the fixture yet is a visible TODO (the
    // reference run is resumable: scripts/reference/senteval_reference.py), never a silent pass.
    const ready = PLAN[config].filter((task) => reference(config, task, main(task)).length === SEEDS.length);
    for (const task of PLAN[config].filter((x) => !ready.includes(x))) {
      await t.test(task, { todo: `the fixture lacks SentEval's ${config} ${task} for some of seeds ${SEEDS.join(', ')}` });
    }
    if (ready.length === 0) return;
    const encoder = await createEncoder({ encoder: 'bow' });
    const run: RunResults = await evaluate(encoder, {
      tasks: resolveTasks(ready.join(',')),
      dataDir,
      settings: resolveSettings(config),
      seeds: SEEDS,
      progress: silentProgress,
    });
    for (const task of ready) {
      await t.test(task, () => {
        const r = run.tasks[task]!;
        const metric = r.mainMetric;
        const mine = (r.perSeed ?? []).map((m) => m[metric]!);
        const theirs = reference(config, task, metric);
        t.diagnostic(`${task} ${metric}: harness ${mine.join(' / ')}; SentEval ${theirs.map((v) => +v.toFixed(4)).join(' / ')}`);
        assertWithinSeedNoise(task, metric, mine, theirs);
      });
    }
  });
}

test('the parity rule fails on NaN, a missing seed and a shifted mean, and passes seed noise', () => {
  const s = [75.69, 76.35, 76.46];
  assertWithinSeedNoise('SICK-E', 'acc', [76.0, 75.5, 76.9], s);
  assert.throws(() => assertWithinSeedNoise('SICK-E', 'acc', [76.0, NaN, 76.1], s), /SICK-E acc/);
  assert.throws(() => assertWithinSeedNoise('SICK-E', 'acc', [76.0, 76.1], s), /harness seeds/);
  assert.throws(() => assertWithinSeedNoise('SICK-E', 'acc', [76.0, 76.1, 76.2], [75.69, 76.35]), /SentEval seeds/);
  // 2 × range 0.77 + 0.005 = 1.545 points.
  assert.throws(() => assertWithinSeedNoise('SICK-E', 'acc', [78, 78, 78], s), /\|diff\| 1\.8333 > 1\.5450/);
  // One grossly wrong value widens the range, not the bound: capped at 2 × SICK-E's 1.0 points.
  assert.throws(() => assertWithinSeedNoise('SICK-E', 'acc', [76.0, 76.1, 76.2], [75.69, 7.635, 76.46]), /> 2\.0050/);
  assertWithinSeedNoise('STS-B', 'pearson', [0.5855, 0.5857, 0.5836], [0.5855, 0.5857, 0.5836]);
  assert.throws(() => assertWithinSeedNoise('STS-B', 'pearson', [0.5955, 0.5957, 0.5936], [0.5855, 0.5857, 0.5836]), /STS-B pearson/);
});
