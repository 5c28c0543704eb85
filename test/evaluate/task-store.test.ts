import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SplitPredictions } from '../../src/protocol/dispatch.js';
import { createEncoder } from '../../src/encoders/factory.js';
import type { SentenceEncoder } from '../../src/encoders/types.js';
import { FeatureCache } from '../../src/evaluate/feature-cache.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { encodeStore, planStore } from '../../src/evaluate/task-store.js';
import { taskContext } from '../../src/evaluate/run-task.js';
import { readResultsFile } from '../../src/results/read.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { UserError } from '../../src/util/errors.js';
import { senteval } from '../helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-store-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});

const s = (t: string): string[] => t.split(' ');
const SPLITS = {
  train: { a: [s('p one'), s('p one'), s('p one'), s('p two')], b: [s('h a'), s('h b'), s('h c'), s('p one')], y: [0, 1, 2, 0] },
  test: { a: [s('p two'), s('p three')], b: [s('h a'), s('h d')], y: [1, 1] },
};

test('planStore: distinct sentences once (a premise shared by three hypotheses is one row)', () => {
  const p = planStore(SPLITS, true);
  assert.equal(p.occurrences, 12);
  // Splits in name order (test, then train), each side a then b; first occurrence makes the row.
  assert.deepEqual(
    p.rows.map((r) => r.join(' ')),
    ['p two', 'p three', 'h a', 'h d', 'p one', 'h b', 'h c'],
  );
  assert.deepEqual([...p.index.test!.a, ...p.index.test!.b!], [0, 1, 2, 3]);
  assert.deepEqual([...p.index.train!.a], [4, 4, 4, 0]);
  assert.deepEqual([...p.index.train!.b!], [2, 5, 6, 4]);
  assert.deepEqual(p.segments, [[0, 7]]);
});

test("planStore for a batch-dependent encoder: one row per occurrence, batched as SentEval batches (each split's side a, then b)", async () => {
  const p = planStore(SPLITS, false);
  assert.equal(p.rows.length, 12);
  assert.deepEqual(p.segments, [
    [0, 2],
    [2, 4],
    [4, 8],
    [8, 12],
  ]);
  // Names sort: test before train, as the engine always encoded them.
  assert.deepEqual([...p.index.test!.a, ...p.index.test!.b!], [0, 1, 2, 3]);
  const batches: string[][] = [];
  const enc: SentenceEncoder = {
    identity: { name: 'rec', dim: 1, weightsHash: 'x', params: {} },
    async prepare() {
      return '';
    },
    async encode(batch) {
      batches.push(batch.map((t) => t.join(' ')));
      return { rows: batch.length, cols: 1, data: Float32Array.from(batch, (_, i) => batch.length * 10 + i) };
    },
    notes: () => [],
    async close() {},
  };
  const store = await encodeStore(p, { encoder: enc, taskState: '', batchSize: 3, dtype: 'float32', stats: { sentences: 0, fromCache: 0, seconds: 0 } });
  assert.deepEqual(batches, [['p two', 'p three'], ['h a', 'h d'], ['p one', 'p one', 'p one'], ['p two'], ['h a', 'h b', 'h c'], ['p one']]);
  // Row k holds what its batch returned for it: the batch size is visible in the vector.
  assert.deepEqual([...store.slice(0, 12)], [20, 21, 20, 21, 30, 31, 32, 10, 30, 31, 32, 10]);
});

test('a batch-independent encoder gets its distinct rows shortest first, and each row keeps its own vector', async () => {
  const p = planStore(SPLITS, true);
  const batches: string[][] = [];
  const enc: SentenceEncoder = {
    identity: { name: 'rec', dim: 2, weightsHash: 'x', params: {} },
    batchIndependent: true,
    async prepare() {
      return '';
    },
    async encode(batch) {
      batches.push(batch.map((t) => t.join(' ')));
      // A vector of the sentence alone: its length and its last letter.
      return { rows: batch.length, cols: 2, data: Float32Array.from(batch.flatMap((t) => [t.length, t.at(-1)!.charCodeAt(t.at(-1)!.length - 1)])) };
    },
    notes: () => [],
    async close() {},
  };
  const store = await encodeStore(p, { encoder: enc, taskState: '', batchSize: 3, dtype: 'float32', stats: { sentences: 0, fromCache: 0, seconds: 0 } });
  // All seven rows are two words: the plan's order stands (a stable sort), three to a batch.
  assert.deepEqual(batches, [['p two', 'p three', 'h a'], ['h d', 'p one', 'h b'], ['h c']]);
  const mixed = planStore({ test: { a: [s('a b c'), s('a'), s('a b')], y: [0, 0, 0] } }, true);
  batches.length = 0;
  const m = await encodeStore(mixed, { encoder: enc, taskState: '', batchSize: 2, dtype: 'float32', stats: { sentences: 0, fromCache: 0, seconds: 0 } });
  assert.deepEqual(batches, [['a', 'a b'], ['a b c']]);
  assert.deepEqual([...m.slice(0, 3)], [3, 99, 1, 97, 2, 98]);
  assert.deepEqual(
    [...store.slice(0, 7)].filter((_, i) => i % 2 === 1),
    [...'oeadebc'].map((c) => c.charCodeAt(0)),
  );
});

test('an encoder that takes two calls at once gets the next batch before the last returns; the store is what one at a time gives', async () => {
  // Each call resolves when released, in any order; the store must still hold each batch's vectors in place.
  const plan = planStore(SPLITS, false);
  let inFlight = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  const enc = (concurrency: number, failAt = -1): SentenceEncoder => {
    let calls = 0;
    return {
      identity: { name: 'two', dim: 1, weightsHash: 'x', params: {} },
      encodeConcurrency: concurrency,
      async prepare() {
        return '';
      },
      async encode(batch) {
        const call = calls++;
        inFlight++;
        most = Math.max(most, inFlight);
        // The later call of two in flight is released first.
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length >= concurrency || call === 5) while (waiting.length) waiting.pop()!();
        });
        inFlight--;
        if (call === failAt) throw new Error(`call ${call} failed`);
        return { rows: batch.length, cols: 1, data: Float32Array.from(batch, (_, i) => call * 10 + i) };
      },
      notes: () => [],
      async close() {},
    };
  };
  const stats = () => ({ sentences: 0, fromCache: 0, seconds: 0 });
  const alone = await encodeStore(plan, { encoder: enc(1), taskState: '', batchSize: 3, dtype: 'float32', stats: stats() });
  assert.equal(most, 1);
  const two = await encodeStore(plan, { encoder: enc(2), taskState: '', batchSize: 3, dtype: 'float32', stats: stats() });
  assert.equal(most, 2);
  assert.deepEqual([...two.slice(0, 12)], [...alone.slice(0, 12)]);
  assert.deepEqual([...two.slice(0, 12)], [0, 1, 10, 11, 20, 21, 22, 30, 40, 41, 42, 50]);
  // A failed call stops the loop with its own error once the call beside it has settled.
  most = 0;
  await assert.rejects(encodeStore(plan, { encoder: enc(2, 2), taskState: '', batchSize: 3, dtype: 'float32', stats: stats() }), /call 2 failed/);
  assert.equal(inFlight, 0);
  // A declared concurrency that is not a whole number from 1 to 8 is refused in one line, before any call.
  for (const bad of [0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 9]) {
    most = 0;
    await assert.rejects(
      encodeStore(plan, { encoder: enc(bad), taskState: '', batchSize: 3, dtype: 'float32', stats: stats() }),
      (e: Error) => e instanceof UserError && e.message === `encoder 'two': encodeConcurrency must be a whole number from 1 to 8, got ${bad}`,
    );
    assert.equal(most, 0);
  }
});

test('feature cache: the store round-trips; an entry damaged in place is noticed, reported and recomputed', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const encoder = await createEncoder({ encoder: 'bow' });
  const warnings: string[] = [];
  const cache = new FeatureCache(join(tmp, 'features'), (m) => warnings.push(m));
  const opts = { tasks: resolveTasks('SICK-E'), dataDir, settings: resolveSettings('fast'), seeds: [1111], cache, progress: silentProgress };
  const out = join(tmp, 'sicke.json');
  const r1 = await evaluate(encoder, { ...opts, outPath: out });
  // The results record the store (SICK-E's 9,927 pairs share sentences) and the probes, and the
  // results reader keeps them (merge and reports read files through it).
  const st = r1.tasks['SICK-E']!.store!;
  assert.ok(st.rows < st.occurrences && st.occurrences === 2 * 9927 && st.bytes === st.rows * 100 * 4, JSON.stringify(st));
  assert.equal(r1.tasks['SICK-E']!.probes, 4);
  assert.deepEqual(readResultsFile(out).results.tasks['SICK-E']!.store, st);
  const [entry] = readdirSync(cache.dir).filter((f) => f.endsWith('.store'));
  assert.ok(entry?.endsWith('.store'));
  const path = join(cache.dir, entry!);
  const r2 = await evaluate(encoder, opts);
  assert.deepEqual(r2.tasks['SICK-E']!.metrics, r1.tasks['SICK-E']!.metrics);
  assert.deepEqual(warnings, []);
  // 2,000 floats overwritten at the same size: the checksum catches it.
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(8000, 0x41), 0, 8000, 4096);
  closeSync(fd);
  assert.equal(statSync(path).size, size);
  const r3 = await evaluate(encoder, opts);
  assert.deepEqual(r3.tasks['SICK-E']!.metrics, r1.tasks['SICK-E']!.metrics);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /checksum mismatch.*encoding again/);
  assert.ok(existsSync(path), 'rewritten');
});

test('a run that cannot fit is refused before any encoding, in one line with the estimate and the remedy', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const encoder = await createEncoder({ encoder: 'borep', dim: 4096 });
  const out = join(tmp, 'refused.json');
  await assert.rejects(
    evaluate(encoder, {
      tasks: resolveTasks('MR,SICK-E'),
      dataDir,
      settings: resolveSettings('fast'),
      seeds: [1111],
      progress: silentProgress,
      outPath: out,
      availableMemory: 150 * 2 ** 20,
    }),
    (e: unknown) =>
      e instanceof UserError &&
      !e.message.includes('\n') &&
      /^MR: needs about 0\.\d GiB \(sentence store 0\.\d GiB: 10,662 sentences × 4096 float32; probe buffers .*\) but 0\.1 GiB is available; --feature-dtype float16/.test(
        e.message,
      ),
  );
  assert.equal(existsSync(out), false);
});

test('--feature-dtype float16 halves the store, is recorded, and changes the fingerprint (float32 does not)', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const encoder = await createEncoder({ encoder: 'bow' });
  const base = { tasks: resolveTasks('STS-B'), dataDir, seeds: [1111], progress: silentProgress };
  const f32 = await evaluate(encoder, { ...base, settings: resolveSettings('fast', { featureDtype: 'float32' }) });
  const preds: Record<string, readonly number[]> = {};
  const keep = (name: string) => async (_task: string, p: readonly SplitPredictions[]) => {
    preds[name] = p[0]!.pred;
    return undefined;
  };
  const plain = await evaluate(encoder, { ...base, settings: resolveSettings('fast'), onPredictions: keep('plain') });
  const f16 = await evaluate(encoder, { ...base, settings: resolveSettings('fast', { featureDtype: 'float16' }), onPredictions: keep('f16') });
  assert.equal(f32.protocolFingerprint, plain.protocolFingerprint);
  assert.equal(f32.tasks['STS-B']!.fingerprint, plain.tasks['STS-B']!.fingerprint);
  assert.equal(f32.protocol.featureDtype, undefined);
  assert.equal(f16.protocol.featureDtype, 'float16');
  assert.notEqual(f16.tasks['STS-B']!.fingerprint, plain.tasks['STS-B']!.fingerprint);
  // The store itself: the same rows, 2 bytes a value against 4.
  const [s32, s16] = [plain.tasks['STS-B']!.store!, f16.tasks['STS-B']!.store!];
  assert.deepEqual([s32.dtype, s16.dtype], ['float32', 'float16']);
  assert.equal(s16.rows, s32.rows);
  assert.equal(s16.dim, 100);
  assert.ok(s32.rows > 10000, `${s32.rows} rows`);
  assert.equal(s32.bytes, s32.rows * s32.dim * 4);
  assert.equal(s16.bytes, s32.bytes / 2);
  // Rounding 100-d GloVe means to 11 bits moves the correlation a little, not a lot.
  const [a, b] = [plain.tasks['STS-B']!.metrics.pearson!, f16.tasks['STS-B']!.metrics.pearson!];
  // (The results file rounds correlations to 4 decimals, which can hide the change: the
  // per-example predictions show it.)
  assert.ok(Math.abs(a - b) < 0.01, `${a} vs ${b}`);
  assert.notDeepEqual(preds.f16, preds.plain);
});

test("a task of MultiNLI's size reaches prepare (no argument-spread limit on the sample list)", () => {
  const n = 400000;
  const a = Array.from({ length: n }, () => ['w']);
  const ctx = taskContext(resolveTasks('MultiNLI')[0]!, { splits: { train: { a, b: a, y: new Array<number>(n).fill(0) } }, files: [], notes: [] });
  assert.equal(ctx.samples.length, 2 * n);
});

test('a half-width store refuses, in one line, a value it would store as ±Infinity', async () => {
  const p = planStore({ test: { a: [s('a'), s('b')], y: [0, 0] } }, true);
  const enc = (values: number[]): SentenceEncoder => ({
    identity: { name: 'big', dim: 1, weightsHash: 'x', params: {} },
    batchIndependent: true,
    async prepare() {
      return '';
    },
    async encode(batch) {
      return { rows: batch.length, cols: 1, data: Float32Array.from(batch, (_, i) => values[i]!) };
    },
    notes: () => [],
    async close() {},
  });
  const stats = () => ({ sentences: 0, fromCache: 0, seconds: 0 });
  const run = (values: number[], dtype: 'float16' | 'bfloat16' | 'float32') =>
    encodeStore(p, { encoder: enc(values), taskState: '', batchSize: 2, dtype, stats: stats() });
  // The largest values that round to a finite float16 are kept (rounded to ±65,504).
  assert.deepEqual([...(await run([65519, -65519], 'float16')).slice(0, 2)], [65504, -65504]);
  await assert.rejects(run([1, -65520], 'float16'), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.equal(
      e.message,
      "encoder 'big', batch 0: row 1 holds -65520 at column 0, beyond --feature-dtype float16's range (it would be stored as -Infinity); use --feature-dtype bfloat16 or float32",
    );
    return true;
  });
  await assert.rejects(run([3.4e38, 0], 'bfloat16'), /row 0 holds 3\.4e\+38 .* --feature-dtype bfloat16's range .*; use --feature-dtype float32$/);
  assert.deepEqual([...(await run([3.4e38, 65520], 'float32')).slice(0, 2)], [Math.fround(3.4e38), 65520]);
});
