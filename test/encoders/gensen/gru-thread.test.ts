/**
 * The models of a GenSen pair on threads of their own (gru-thread.ts): the same bits as one after
 * the other on the calling thread, for every pooling, all states, task table swaps and a
 * full-size model at several thread counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createGensenEncoder } from '../../../src/encoders/gensen/factory.js';
import type { GensenEncoder, GensenEncoderOptions } from '../../../src/encoders/gensen/encoder.js';
import { GruRunner } from '../../../src/encoders/gensen/gru.js';
import { ThreadedGruRunner } from '../../../src/encoders/gensen/gru-thread.js';
import type { GruBackend, GruBatchOutput } from '../../../src/encoders/gensen/backend.js';
import { cpuDevice } from '../../../src/compute/device.js';
import { pySplit } from '../../../src/util/pystr.js';
import { Rng } from '../../../src/util/rng.js';
import { EXP, FIX, plainMaxima, randomBatch, TINY } from '../../helpers/gensen-parity.js';
import { FULL, syntheticGensen } from '../../helpers/synthetic-gensen.js';
import { encodeStore, planStore } from '../../../src/evaluate/task-store.js';

/** Float32 bit patterns, so that NaN never passes and -0 differs from 0. */
const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  assert.ok(a.every(Number.isFinite), `${what}: finite`);
  assert.deepEqual(bits(b), bits(a), what);
}

async function both(o: GensenEncoderOptions): Promise<[GensenEncoder, GensenEncoder]> {
  return [await createGensenEncoder({ ...o, concurrentModels: false }), await createGensenEncoder(o)];
}

test('gensen pair: the models on their own threads give the in-turn bits for every pooling (max fused in the threads) and all states; the record counts both threads', async () => {
  for (const [pool, maxPool] of [
    ['last', 'faithful'],
    ['max', 'faithful'],
    ['max', 'masked'],
  ] as const) {
    const [inTurn, threaded] = await both({ modelsDir: FIX, prefix1: 'tiny1', prefix2: 'tiny2', pool, maxPool, maxChunk: 3 });
    try {
      assert.equal(inTurn.concurrentModels, false);
      assert.equal(threaded.concurrentModels, true);
      assert.deepEqual(inTurn.computeDevice, cpuDevice(2));
      assert.deepEqual(threaded.computeDevice, cpuDevice(2));
      for (const b of TINY) {
        const a = await inTurn.encodeText(b, true);
        const t = await threaded.encodeText(b, true);
        assertSameBits(a.vectors.data, t.vectors.data, `${pool} ${maxPool} vectors`);
        a.states!.states.forEach((s, i) => assertSameBits(s, t.states!.states[i]!, `${pool} ${maxPool} states of sentence ${i}`));
        // Without the states, the threads return max pooling's masked max instead of the steps.
        assertSameBits(a.vectors.data, (await threaded.encodeText(b)).vectors.data, `${pool} ${maxPool} vectors without the states`);
      }
    } finally {
      await inTurn.close();
      await threaded.close();
    }
  }
});

test("gensen pair: task tables swapped into the threads (MR, TREC, then the models' own) give the in-turn bits", async () => {
  const o = {
    modelsDir: FIX,
    prefix1: 'tiny1',
    prefix2: 'tiny2',
    pool: 'best',
    maxPool: 'faithful',
    glove: join(EXP, 'tiny_glove.txt'),
    senteval: true,
  } as const;
  const [inTurn, threaded] = await both(o);
  try {
    const samples = TINY.flat().map((s) => pySplit(s));
    for (const task of ['MR', 'TREC', 'own']) {
      if (task === 'own') {
        inTurn.useOwnVocabulary();
        threaded.useOwnVocabulary();
      } else assert.equal(await threaded.prepare({ taskId: task, samples }), await inTurn.prepare({ taskId: task, samples }));
      for (const b of TINY) {
        const toks = b.map((s) => pySplit(s));
        assertSameBits((await inTurn.encode(toks)).data, (await threaded.encode(toks)).data, `${task} vectors`);
      }
    }
  } finally {
    await inTurn.close();
    await threaded.close();
  }
});

test('gensen pair: a store filled with two batches in flight on the threads holds the in-turn bits (faithful max: SentEval batches)', async () => {
  const o = { modelsDir: FIX, prefix1: 'tiny1', prefix2: 'tiny2', pool: 'max', maxPool: 'faithful', maxChunk: 3 } as const;
  const [inTurn, threaded] = await both(o);
  try {
    assert.equal(inTurn.encodeConcurrency, 1);
    assert.equal(threaded.encodeConcurrency, 2);
    const a = TINY.flat().map((t) => pySplit(t));
    const plan = planStore({ test: { a, y: a.map(() => 0) } }, false);
    const stats = () => ({ sentences: 0, fromCache: 0, seconds: 0 });
    const stores = [];
    for (const encoder of [inTurn, threaded]) stores.push(await encodeStore(plan, { encoder, taskState: '', batchSize: 2, dtype: 'float32', stats: stats() }));
    const [inTurnRows, threadedRows] = stores.map((s) => s.slice(0, a.length));
    assertSameBits(inTurnRows!, threadedRows!, 'store rows');
    assert.equal(threadedRows!.length, a.length * threaded.identity.dim);
  } finally {
    await inTurn.close();
    await threaded.close();
  }
});

test('one model, or one thread in all: the models stay on the calling thread', async () => {
  for (const o of [{ prefix1: 'tiny1' }, { prefix1: 'tiny1', prefix2: 'tiny2', tuning: { intraOpThreads: 1 } }] as const) {
    const enc = await createGensenEncoder({ modelsDir: FIX, pool: 'last', maxPool: 'faithful', ...o });
    try {
      assert.equal(enc.concurrentModels, false);
      assert.deepEqual(enc.computeDevice, cpuDevice(o.tuning?.intraOpThreads ?? 2));
    } finally {
      await enc.close();
    }
  }
});

function assertSameRun(a: GruBatchOutput, b: GruBatchOutput, what: string): void {
  assert.deepEqual([b.T, b.B, b.H], [a.T, a.B, a.H], `${what}: shape`);
  assertSameBits(a.finals, b.finals, `${what}: finals`);
  assert.ok(a.steps && b.steps, `${what}: steps returned`);
  assertSameBits(a.steps, b.steps, `${what}: steps`);
}

test('full size: 1, 2 and 3 onnxruntime threads, and a model on its own thread, give the same bits (batches of 1, 37 and 128)', async () => {
  const m = syntheticGensen({ ...FULL, layers: 1 });
  const emb = m.weights.tensors.get('src_embedding.weight')!.data;
  const runners: GruBackend[] = [];
  try {
    for (const threads of [1, 2, 3]) runners.push(await GruRunner.create(m.weights, emb, { intraOpThreads: threads }));
    runners.push(await ThreadedGruRunner.create(m.weights, emb, { intraOpThreads: 1 }, cpuDevice(1)));
    const rng = new Rng(3);
    for (const [B, T] of [
      [1, 9],
      [37, 21],
      [128, 12],
    ] as const) {
      const { ids, lens } = randomBatch(rng, B, T, FULL.vocab);
      const want = await runners[0]!.run(ids, lens, T, { sequence: true });
      for (const [i, r] of runners.entries()) {
        if (i > 0) assertSameRun(want, await r.run(ids, lens, T, { sequence: true }), `runner ${i}, B=${B} T=${T}`);
      }
      // The thread's fused max: each column's max over its own steps, no steps returned.
      const fused = await runners[3]!.run(ids, lens, T, { sequence: false, maxPool: true });
      assert.equal(fused.steps, undefined);
      assertSameBits(want.finals, fused.finals, `fused run finals, B=${B}`);
      assertSameBits(plainMaxima(want.steps!, B, FULL.hidden, lens), fused.maxima!, `fused maxima, B=${B} T=${T}`);
    }
  } finally {
    for (const r of runners) await r.close();
  }
});

test("a failed run comes back as the runner's error, and the thread goes on; a closed runner's thread has exited", async () => {
  const m = syntheticGensen({ vocab: 50, embDim: 8, hidden: 6, layers: 1 });
  const emb = m.weights.tensors.get('src_embedding.weight')!.data;
  const r = await ThreadedGruRunner.create(m.weights, emb, { intraOpThreads: 1 }, cpuDevice(1));
  const inThread = await GruRunner.create(m.weights, emb, { intraOpThreads: 1 });
  try {
    const bad = { ids: BigInt64Array.from([3n, 999n]), lens: Int32Array.from([2]) };
    await assert.rejects(r.run(bad.ids, bad.lens, 2, { sequence: false }), (e: Error) => /gensen GRU thread: .*(999|out of|indices)/i.test(e.message));
    const ok = { ids: BigInt64Array.from([3n, 4n, 5n, 6n]), lens: Int32Array.from([2, 1]) };
    assertSameRun(await inThread.run(ok.ids, ok.lens, 2, { sequence: true }), await r.run(ok.ids, ok.lens, 2, { sequence: true }), 'after the error');
  } finally {
    await inThread.close();
    await r.close();
  }
  await assert.rejects(r.run(BigInt64Array.from([3n]), Int32Array.from([1]), 1, { sequence: false }), /exited/);
});
