import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import type { RunResults } from '../../src/results/schema.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { majorityClassPercent, senteval, repoRoot } from '../helpers/data.js';
import { assertWithin } from '../helpers/diff.js';
import { runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot(), 'test', 'fixtures', 'gensen');
const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-gensen-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});

test('evaluate with two GenSen models and GloVe expansion on real SICK-E and TREC: runs, is labelled, is deterministic', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const make = () =>
    createEncoder({
      encoder: 'gensen',
      modelsDir: fixtures,
      prefix1: 'tiny1',
      prefix2: 'tiny2',
      glove: join(fixtures, 'expected', 'tiny_glove.txt'),
    });
  const opts = {
    tasks: resolveTasks('SICK-E,TREC'),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    progress: silentProgress,
  };
  const enc1 = await make();
  const r1 = await evaluate(enc1, opts);
  await enc1.close();
  // tiny1: H=6, tiny2: H=5 -> [2*6 ; 2*5].
  assert.equal(r1.encoder.name, 'gensen');
  assert.equal(r1.encoder.dim, 22);
  assert.equal(r1.encoder.params.prefix1, 'tiny1');
  assert.equal(r1.encoder.params.prefix2, 'tiny2');
  for (const id of ['SICK-E', 'TREC']) {
    const task = r1.tasks[id]!;
    // At least the majority class's share of the test split (what a probe learns from any signal).
    assertWithin(task.metrics.acc, await majorityClassPercent(id, dataDir), 100, `${id} acc`);
    assert.ok(
      task.notes?.some((n) => /vocabulary expansion/i.test(n) && /tiny_glove/.test(n)),
      JSON.stringify(task.notes),
    );
  }
  const enc2 = await make();
  const r2 = await evaluate(enc2, opts);
  await enc2.close();
  assert.deepEqual(r2.tasks['SICK-E']!.metrics, r1.tasks['SICK-E']!.metrics);
  assert.deepEqual(r2.tasks['TREC']!.metrics, r1.tasks['TREC']!.metrics);
});

test('evaluate --encoder gensen end to end on real SICK-E and MRPC with the embedded vectors: Python 2 vocabulary text by default, utf8 on request, recorded', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const run = (out: string, extra: string[]) =>
    runCli([
      'evaluate',
      '--encoder',
      'gensen',
      '--prefix1',
      'tiny1',
      '--prefix2',
      'tiny2',
      '--models-dir',
      fixtures,
      '--tasks',
      'SICK-E,MRPC',
      '--config',
      'fast',
      '--data-dir',
      dataDir,
      '--out',
      out,
      '--no-cache',
      ...extra,
    ]);
  const results = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as RunResults;
  const py2 = join(tmp, 'py2.json');
  const r1 = run(py2, []);
  assert.equal(r1.status, 0, r1.stderr);
  assert.match(r1.stdout, /SICK-E\s+acc/);
  const a = results(py2);
  assert.equal(a.encoder.params['vocabText'], 'python2');
  assert.match(String(a.encoder.params['expansion']), /^embedded:/);
  for (const id of ['SICK-E', 'MRPC']) {
    const task = a.tasks[id]!;
    assertWithin(task.metrics.acc, await majorityClassPercent(id, dataDir), 100, `${id} acc`);
    const notes = task.notes ?? [];
    assert.ok(
      notes.some((n) => /non-ASCII character get the <unk> row/.test(n)),
      JSON.stringify(notes),
    );
    // 100-d embedded vectors, ~50 words shared with the tiny models: the minimum-norm fit.
    assert.ok(
      notes.some((n) => /tiny1: \d+ shared words, rank \d+ < 100/.test(n)),
      JSON.stringify(notes),
    );
  }
  // MRPC's F1 is the paraphrase class's: at least that of always answering "paraphrase" (2p/(1+p)).
  const p = (await majorityClassPercent('MRPC', dataDir)) / 100;
  assertWithin(a.tasks['MRPC']!.metrics.f1, (100 * 2 * p) / (1 + p), 100, 'MRPC f1');
  const clean = join(tmp, 'utf8.json');
  const r2 = run(clean, ['--vocab-text', 'utf8']);
  assert.equal(r2.status, 0, r2.stderr);
  const b = results(clean);
  assert.equal(b.encoder.params['vocabText'], 'utf8');
  assert.ok(!(b.tasks['SICK-E']!.notes ?? []).some((n) => /non-ASCII/.test(n)));
  // The choice is part of the encoder identity, so a run cannot be resumed under the other one.
  const r3 = run(clean, ['--resume']);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /cannot resume .*the encoder differs/);
});

test('evaluate --prefix1 with no model files names the expected files and where to get them', (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const r = runCli(['evaluate', '--prefix1', 'nli_large', '--models-dir', tmp, '--tasks', 'MR', '--data-dir', dataDir, '--out', join(tmp, 'r.json')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /nli_large\.model/);
  assert.match(r.stderr, /nli_large_vocab\.pkl/);
  assert.match(r.stderr, /Maluuba\/gensen/);
});

test("evaluate with GloVe expansion from glove2h5.py's .h5 gives the numbers of the same vectors as .txt (real SICK-R-unsup, STS-B-unsup)", async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  // scripts/fixtures/make_gensen_glove_h5.py: UTF-8 words under HDF5's ASCII character set, some of
  // them non-ASCII words of the model vocabularies, so a latin-1 reading would change the fit.
  const metrics = async (glove: string) => {
    const enc = await createEncoder({ encoder: 'gensen', modelsDir: fixtures, prefix1: 'py2a', prefix2: 'py2b', glove: join(fixtures, 'expected', glove) });
    try {
      const r = await evaluate(enc, {
        tasks: resolveTasks('SICK-R-unsup,STS-B-unsup'),
        dataDir,
        settings: resolveSettings('fast'),
        seeds: [1111],
        progress: silentProgress,
      });
      for (const task of Object.values(r.tasks)) assert.ok(!(task.notes ?? []).some((n) => /latin-1/.test(n)), JSON.stringify(task.notes));
      return Object.fromEntries(Object.entries(r.tasks).map(([k, v]) => [k, v.metrics]));
    } finally {
      await enc.close();
    }
  };
  const txt = await metrics('py2-glove8u.txt');
  const h5 = await metrics('py2-glove8u.h5');
  assert.deepEqual(h5, txt);
  for (const m of Object.values(txt)) for (const v of Object.values(m)) assert.ok(Number.isFinite(v), 'finite metrics');
});
