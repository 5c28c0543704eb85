import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, senteval } from './helpers/data.js';

// Imported by package name, as a user's project would: resolved through package.json "exports".
const pkgName = 'gensen-eval';
const lib = (await import(pkgName)) as typeof import('../src/index.js');
type SentenceEncoder = import('../src/index.js').SentenceEncoder;

test.after(async () => {
  await lib.closeProbePool();
});

test("import from 'gensen-eval': the library API and its type declarations", () => {
  for (const f of [
    'evaluate',
    'createEncoder',
    'resolveTasks',
    'resolveSettings',
    'registerEncoder',
    'encoderNames',
    'FeatureCache',
    'UserError',
    'collectSentences',
  ]) {
    assert.equal(typeof (lib as Record<string, unknown>)[f], 'function', f);
  }
  assert.deepEqual(lib.encoderNames().slice(0, 7), ['bow', 'borep', 'gensen', 'command', 'http', 'onnx', 'vectors']);
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { exports: { '.': { types: string } } };
  const dts = join(repoRoot(), pkg.exports['.'].types);
  assert.ok(existsSync(dts), dts);
  assert.match(readFileSync(dts, 'utf8'), /SentenceEncoder/);
  assert.match(readFileSync(join(repoRoot(), 'dist', 'src', 'encoders', 'types.d.ts'), 'utf8'), /readonly batchIndependent\?: boolean;/);
});

test('registerEncoder: options with defaults and checks, refused when they belong to another encoder', async () => {
  const made: Record<string, unknown>[] = [];
  lib.registerEncoder({
    name: 'lib-test-lengths',
    describe: 'sentence length features (test)',
    options: { scale: { type: 'number', default: 1, min: 0, help: 'multiplier' } },
    async create(o) {
      made.push({ ...o });
      const scale = o.scale as number;
      const enc: SentenceEncoder = {
        identity: { name: 'lengths', dim: 2, weightsHash: 'none', params: { scale } },
        batchIndependent: true,
        prepare: async () => '',
        encode: async (batch) => ({
          rows: batch.length,
          cols: 2,
          data: Float32Array.from(batch.flatMap((t) => [t.length * scale, t.join('').length * scale])),
        }),
        notes: () => [],
        close: async () => {},
      };
      return enc;
    },
  });
  assert.throws(
    () => lib.registerEncoder({ name: 'lib-test-lengths', describe: '', options: {}, create: async () => undefined as never }),
    /already registered/,
  );
  assert.throws(
    () => lib.registerEncoder({ name: 'lib-test-clash', describe: '', options: { dim: { type: 'string', help: '' } }, create: async () => undefined as never }),
    /--dim is a string, but 'borep' declares it a number/,
  );
  const e = await lib.createEncoder({ encoder: 'lib-test-lengths' });
  assert.deepEqual(made.at(-1), { scale: 1 });
  assert.deepEqual([...(await e.encode([['ab', 'c']])).data], [2, 3]);
  await lib.createEncoder({ encoder: 'lib-test-lengths', scale: 2 });
  assert.deepEqual(made.at(-1), { scale: 2 });
  await assert.rejects(lib.createEncoder({ encoder: 'lib-test-lengths', scale: -1 }), /--scale must be a number >= 0, got '-1'/);
  await assert.rejects(lib.createEncoder({ encoder: 'lib-test-lengths', url: 'http://x' }), /--url is an option of --encoder http, not lib-test-lengths/);
  await assert.rejects(
    lib.createEncoder({ encoder: 'nope' }),
    (err: unknown) => err instanceof lib.UserError && /unknown --encoder 'nope': expected one of bow, borep/.test(err.message),
  );
});

test('evaluate() takes any object implementing SentenceEncoder: a plain-object encoder on real SICK-E', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const bow = await lib.createEncoder({ encoder: 'bow' });
  const calls: string[] = [];
  // A user's encoder written against the documented contract only: bow's vectors, doubled.
  const mine: SentenceEncoder = {
    identity: { name: 'my-encoder', dim: 100, weightsHash: 'mine-v1', params: {} },
    async prepare(task) {
      calls.push(`prepare ${task.taskId} ${task.samples.length}`);
      return '';
    },
    async encode(batch) {
      const m = await bow.encode(batch);
      return { ...m, data: m.data.map((x) => x * 2) };
    },
    notes: () => ['doubled bag of words'],
    close: async () => {},
  };
  const opts = { tasks: lib.resolveTasks('SICK-E'), dataDir, settings: lib.resolveSettings('fast'), seeds: [1111], progress: lib.silentProgress };
  const r = await lib.evaluate(mine, opts);
  assert.deepEqual(calls, ['prepare SICK-E 19854']);
  assert.equal(r.encoder.name, 'my-encoder');
  assert.deepEqual(r.tasks['SICK-E']!.notes?.includes('doubled bag of words'), true);
  const acc = r.tasks['SICK-E']!.metrics.acc!;
  assert.ok(acc > 70 && acc < 85, `SICK-E acc ${acc}`);
});
