import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEncoder } from '../../src/encoders/factory.js';
import { GensenEncoder } from '../../src/encoders/gensen/encoder.js';
import type { SentenceEncoder } from '../../src/encoders/types.js';
import { FeatureCache } from '../../src/evaluate/feature-cache.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import type { TaskPredictionSet } from '../../src/evaluate/run-task.js';
import { evaluate } from '../../src/evaluate/run.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { syntheticGensen } from '../helpers/synthetic-gensen.js';
import { writeSickData } from '../helpers/sick-data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-run-stores-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});

/** Counts the sentences the wrapped encoder is asked to encode. */
function counting(inner: SentenceEncoder): { encoder: SentenceEncoder; sentences: () => number } {
  let n = 0;
  const encoder: SentenceEncoder = Object.create(inner) as SentenceEncoder;
  encoder.encode = async (batch) => {
    n += batch.length;
    return inner.encode(batch);
  };
  return { encoder, sentences: () => n };
}

async function run(encoder: SentenceEncoder, dataDir: string, tasks: string, cache?: FeatureCache) {
  const predictions = new Map<string, readonly TaskPredictionSet[]>();
  const res = await evaluate(encoder, {
    tasks: resolveTasks(tasks),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    progress: silentProgress,
    ...(cache ? { cache } : {}),
    onPredictions: async (task, p) => {
      predictions.set(task, p);
      return undefined;
    },
  });
  return { res, predictions };
}

const distinctSentences = (dataDir: string): number => {
  const all = new Set<string>();
  for (const f of ['SICK_train.txt', 'SICK_trial.txt', 'SICK_test_annotated.txt']) {
    const lines = readFileSync(join(dataDir, 'SICK', f), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    for (const l of lines) {
      const c = l.split('\t');
      all.add(c[1]!);
      all.add(c[2]!);
    }
  }
  return all.size;
};

for (const which of ['bow', 'gensen (last pooling)'] as const) {
  test(`SICK-E then SICK-R with ${which}, no feature cache: the sentences are encoded once, and every number and prediction is what each task gives alone`, async () => {
    const dataDir = writeSickData(join(tmp, 'data'));
    const make = async (): Promise<SentenceEncoder> =>
      which === 'bow'
        ? createEncoder({ encoder: 'bow' })
        : GensenEncoder.fromModels([syntheticGensen({ vocab: 300, embDim: 16, hidden: 12, layers: 1 })], {
            modelsDir: '',
            prefix1: 'synthetic',
            pool: 'last',
            maxPool: 'faithful',
            tuning: { intraOpThreads: 1 },
          });
    const inner = await make();
    assert.equal(inner.batchIndependent, true);
    const both = counting(inner);
    const together = await run(both.encoder, dataDir, 'SICK-E,SICK-R');
    // Each distinct sentence once (a batch-independent encoder's store holds one row per sentence).
    assert.equal(both.sentences(), distinctSentences(dataDir));
    assert.equal(together.res.tasks['SICK-R']!.store!.occurrences, 2 * 190);

    const alone = counting(await make());
    const e = await run(alone.encoder, dataDir, 'SICK-E');
    const r = await run(alone.encoder, dataDir, 'SICK-R');
    assert.equal(alone.sentences(), 2 * distinctSentences(dataDir));
    for (const [task, single] of [
      ['SICK-E', e],
      ['SICK-R', r],
    ] as const) {
      assert.deepEqual(together.res.tasks[task]!.metrics, single.res.tasks[task]!.metrics, task);
      assert.deepEqual(together.predictions.get(task), single.predictions.get(task), `${task} predictions`);
    }
  });
}

test('a batch-dependent encoder (faithful max pooling) is not shared across different batches: SICK-E and SICK-R sort ties differently', async () => {
  const dataDir = writeSickData(join(tmp, 'data'));
  const inner = await GensenEncoder.fromModels([syntheticGensen({ vocab: 300, embDim: 16, hidden: 12, layers: 1 })], {
    modelsDir: '',
    prefix1: 'synthetic',
    pool: 'max',
    maxPool: 'faithful',
    tuning: { intraOpThreads: 1 },
  });
  assert.equal(inner.batchIndependent, false);
  const c = counting(inner);
  await run(c.encoder, dataDir, 'SICK-E,SICK-R');
  assert.equal(c.sentences(), 2 * 2 * 190);
});

test('with the feature cache, a second run with the same sentences encodes nothing (a re-run with other probe settings)', async () => {
  const dataDir = writeSickData(join(tmp, 'data'));
  rmSync(join(tmp, 'cache'), { recursive: true, force: true });
  const cache = new FeatureCache(join(tmp, 'cache'));
  const c = counting(await createEncoder({ encoder: 'bow' }));
  await run(c.encoder, dataDir, 'SICK-E,SICK-R', cache);
  const first = c.sentences();
  assert.equal(first, distinctSentences(dataDir));
  await run(c.encoder, dataDir, 'SICK-E,SICK-R', cache);
  assert.equal(c.sentences(), first);
});
