import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { repoRoot, senteval } from '../helpers/data.js';
import { assertClose } from '../helpers/diff.js';

/** test/fixtures/sst5/bow-reference.json, written by scripts/reference/sst5_reference.py (torch). */
interface Ref {
  samples: Record<string, number>;
  configs: Record<'paper' | 'fast', { devacc: number; acc: number; l2: number }>;
}
const ref = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'sst5', 'bow-reference.json'), 'utf8')) as Ref;

test.after(() => closeProbePool());

for (const config of ['paper', 'fast'] as const) {
  test(`SST5 (${config}) with the bow encoder: within 1.0 point of SentEval's split classifier on the same vectors`, async (t) => {
    const dataDir = senteval(t);
    if (!dataDir) return;
    const encoder = await createEncoder({ encoder: 'bow' });
    const run = await evaluate(encoder, { tasks: resolveTasks('SST5'), dataDir, settings: resolveSettings(config), seeds: [1111], progress: silentProgress });
    const r = run.tasks.SST5!;
    assert.deepEqual(r.samples, ref.samples);
    assert.equal(r.protocol, 'split');
    assert.equal(r.mainMetric, 'acc');
    // Measured: paper 39.55 here vs 39.05 in SentEval (torch 1.13, CPU); fast 39.05 vs 39.19. The
    // probes draw different random streams (numpy/torch vs ours), so they agree only statistically.
    // Dev accuracy (the chosen L2's) likewise: paper 40.15 in SentEval, fast 39.87.
    assertClose(r.metrics.acc, ref.configs[config].acc, 1.0, `SST5 ${config} acc vs SentEval`);
    assertClose(r.metrics.devacc, ref.configs[config].devacc, 1.0, `SST5 ${config} devacc vs SentEval`);
  });
}
