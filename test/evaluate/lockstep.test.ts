/**
 * The L2 grid in lockstep (src/probe/lockstep.ts) against one-probe-at-a-time training, on real
 * tasks with the bow encoder: the CPU pool (which groups each fold's L2 values into one lockstep
 * job) and a backend that fits every job alone must agree bit for bit — every metric, chosen L2,
 * epoch count and prediction — and one grid fold's fitted parameters must be identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import type { TaskPredictionSet } from '../../src/evaluate/run-task.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { lockstepPartners, runJob, type ClassifyJob, type DatasetPayload, type ProbeJob, type ProbeResult } from '../../src/protocol/jobs.js';
import type { ProbeBackend } from '../../src/protocol/backend.js';
import { cpuDevice } from '../../src/compute/device.js';
import { fitClassifier } from '../../src/probe/classifier.js';
import { fitLockstep, lockstepSupported } from '../../src/probe/lockstep.js';
import { inputOf } from '../../src/protocol/jobs.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { senteval } from '../helpers/data.js';

test.after(() => closeProbePool());

/** Runs every job alone, in submission order, on this thread; keeps the datasets and jobs it saw. */
class OneAtATime implements ProbeBackend {
  readonly device = cpuDevice(1);
  readonly concurrency = 1;
  readonly datasets = new Map<number, DatasetPayload>();
  readonly jobs: ProbeJob[] = [];
  private next = 1;
  register(d: Omit<DatasetPayload, 'id'>): number {
    const id = this.next++;
    this.datasets.set(id, { ...d, id });
    return id;
  }
  release(): void {}
  run(job: ProbeJob): Promise<ProbeResult> {
    this.jobs.push(job);
    const ds = this.datasets.get(job.dataset)!;
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(runJob(job, ds));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
  }
  async close(): Promise<void> {}
}

const canonical = (sets: readonly TaskPredictionSet[]): string =>
  JSON.stringify(sets, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v));

// CR under `fast` (inner k-fold, two classes, RMSprop); SICK-E under `paper` (split, three classes, Adam).
for (const [task, config] of [
  ['CR', 'fast'],
  ['SICK-E', 'paper'],
] as const) {
  test(`${task} (${config}, bow): the L2 grid in lockstep gives exactly what one-at-a-time training gives`, async (t) => {
    const dataDir = senteval(t);
    if (!dataDir) return;
    const encoder = await createEncoder({ encoder: 'bow' });
    const settings = resolveSettings(config);
    const run = async (backend?: ProbeBackend): Promise<{ result: unknown; predictions: string }> => {
      let predictions = '';
      const r = await evaluate(encoder, {
        tasks: resolveTasks(task),
        dataDir,
        settings,
        seeds: [1111],
        progress: silentProgress,
        ...(backend ? { probeBackend: backend } : {}),
        onPredictions: async (_task, sets) => {
          predictions = canonical(sets);
          return undefined;
        },
      });
      const { wallSeconds: _w, encodeSeconds: _e, ...result } = r.tasks[task]!;
      return { result, predictions };
    };
    const solo = new OneAtATime();
    const alone = await run(solo);
    const lockstep = await run();
    assert.deepEqual(lockstep.result, alone.result);
    assert.ok(alone.predictions.length > 0, 'predictions were produced');
    assert.equal(lockstep.predictions, alone.predictions);

    // One grid fold directly: every member's kept parameters and stopping, bit for bit.
    const first = solo.jobs[0] as ClassifyJob;
    const fold = solo.jobs.filter((j): j is ClassifyJob => lockstepPartners(first, j));
    assert.equal(fold.length, 4, 'the fold has the four L2 values of the grid');
    assert.ok(lockstepSupported(first.settings), 'this runtime has the SIMD kernels');
    const ds = solo.datasets.get(first.dataset)!;
    const data = { X: inputOf(ds), cols: ds.cols, y: ds.y! };
    const fits = fitLockstep(data, first.train, first.validation, {
      nclasses: first.nclasses,
      l2s: fold.map((j) => j.l2),
      seed: first.seed,
      settings: first.settings,
    });
    fold.forEach((j, i) => {
      const one = fitClassifier(data, j.train, j.validation, { nclasses: j.nclasses, l2: j.l2, seed: j.seed, settings: j.settings });
      assert.deepEqual(fits[i]!.stopping, one.stopping, `l2 ${j.l2}: stopping`);
      assert.equal(fits[i]!.bestAccuracy, one.bestAccuracy);
      assert.ok(
        fits[i]!.net.params.every((v, k) => Object.is(v, one.net.params[k])),
        `l2 ${j.l2}: parameters bit-identical`,
      );
    });
    // The members did not all stop together (else the test would not show independent stopping).
    assert.ok(new Set(fits.map((f) => f.stopping.epochs)).size > 1 || fits.length === 1, `epochs ${fits.map((f) => f.stopping.epochs)}`);
  });
}
