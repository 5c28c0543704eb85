import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTask } from '../../src/tasks/load.js';
import { resolveTask } from '../../src/tasks/registry.js';
import type { Split } from '../../src/tasks/types.js';
import { dataDirWithout } from '../helpers/data.js';
import { assertMatchesReference, readReference, realDataDir, sampleLine } from './helpers.js';

const ref = readReference('reference-real.json');

// Sizes from the data README / SentEval's logs (independent of our reader and of the Python one).
const SIZES: Record<string, Record<string, number>> = {
  MR: { all: 10662 },
  CR: { all: 3775 },
  SUBJ: { all: 10000 },
  MPQA: { all: 10606 },
  SST2: { train: 67349, dev: 872, test: 1821 },
  TREC: { train: 5452, test: 500 },
  MRPC: { train: 4076, test: 1725 },
  'SICK-R': { train: 4500, dev: 500, test: 4927 },
  'SICK-E': { train: 4500, dev: 500, test: 4927 },
  'STS-B': { train: 5749, dev: 1500, test: 1379 },
  SST5: { train: 8544, dev: 1101, test: 2210 },
  // Scored pairs per dataset (unscored pairs, with an empty gold line, dropped): 3108 / 1500 / 3750 / 3000 / 1186.
  STS12: { MSRpar: 750, MSRvid: 750, SMTeuroparl: 459, 'surprise.OnWN': 750, 'surprise.SMTnews': 399 },
  STS13: { FNWN: 189, headlines: 750, OnWN: 561 },
  STS14: { 'deft-forum': 450, 'deft-news': 300, headlines: 750, images: 750, OnWN: 750, 'tweet-news': 750 },
  STS15: { 'answers-forums': 375, 'answers-students': 750, belief: 375, headlines: 750, images: 750 },
  STS16: { 'answer-answer': 254, headlines: 249, plagiarism: 230, postediting: 244, 'question-question': 209 },
};

for (const [id, sizes] of Object.entries(SIZES)) {
  test(`${id}: real files read exactly as SentEval reads them`, async (t) => {
    const dir = realDataDir(t);
    if (dir === undefined) return;
    const data = await loadTask(resolveTask(id), dir);
    assert.deepEqual(Object.fromEntries(Object.entries(data.splits).map(([k, s]) => [k, s.y.length])), sizes);
    assert.ok(ref.tasks[id], `reference-real.json has ${id}`);
    for (const [split, summary] of Object.entries(ref.tasks[id])) {
      assertMatchesReference(data.splits[split], summary, `${id}/${split}`);
    }
    assert.deepEqual(data.notes, []);
  });
}

test('binary tasks: positives (or objective) first, blank lines kept as empty samples', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const cr = (await loadTask(resolveTask('CR'), dir)).splits.all;
  assert.deepEqual(cr.y.slice(0, 1), [1]);
  assert.equal(cr.y.filter((v) => v === 1).length, 2407);
  assert.equal(cr.a.filter((s) => s.length === 0).length, 4, 'CR has 2 + 2 blank lines');
  const subj = await loadTask(resolveTask('SUBJ'), dir);
  assert.deepEqual(subj.files, ['SUBJ/subj.objective', 'SUBJ/subj.subjective']);
  assert.equal(subj.splits.all.y[0], 1);
  assert.equal(subj.splits.all.y[9999], 0);
  assert.deepEqual(subj.splits.all.a[0].slice(0, 3), ['the', 'movie', 'begins']);
});

test('TREC: coarse class from the prefix, fine label dropped, case kept', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const d = await loadTask(resolveTask('TREC'), dir);
  // train_5500.label line 1: "DESC:manner How did serfdom develop in and then leave Russia ?"
  assert.deepEqual(d.splits.train.a[0], ['How', 'did', 'serfdom', 'develop', 'in', 'and', 'then', 'leave', 'Russia', '?']);
  assert.equal(d.splits.train.y[0], 1);
  assert.equal(d.splits.test.y[0], 5, 'TREC_10.label starts with a NUM question');
});

test('SICK-R scores and SICK-E labels come from the same rows (CRLF test file included)', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const r = await loadTask(resolveTask('SICKRelatedness'), dir);
  const e = await loadTask(resolveTask('SICKEntailment'), dir);
  assert.deepEqual(r.splits.test.a, e.splits.test.a);
  assert.equal(r.splits.train.y[0], 4.5);
  assert.equal(e.splits.train.y[0], 1, 'NEUTRAL');
  assert.ok(r.splits.test.y.every((v) => v >= 1 && v <= 5));
  assert.ok(
    r.splits.test.b?.every((s) => s.every((w) => !w.includes('\r'))),
    'CR of CRLF lines stripped',
  );
});

test('STS-B: score column 4, sentences 5 and 6', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const d = await loadTask(resolveTask('STSBenchmark'), dir);
  // sts-train.csv line 1: "main-captions MSRvid 2012test 0001 5.000 a plane is taking off . an air plane is taking off ."
  assert.equal(d.splits.train.y[0], 5);
  assert.deepEqual(d.splits.train.a[0], ['a', 'plane', 'is', 'taking', 'off', '.']);
  assert.deepEqual(d.splits.train.b?.[0], ['an', 'air', 'plane', 'is', 'taking', 'off', '.']);
});

test('SST5: label first, then one space; five classes', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const d = await loadTask(resolveTask('SST-5'), dir);
  // sentiment-train line 1: "4 a stirring , funny and finally transporting re-imagining of beauty and the beast and 1930s horror films"
  assert.equal(d.splits.train.y[0], 4);
  assert.deepEqual(d.splits.train.a[0].slice(0, 3), ['a', 'stirring', ',']);
  assert.deepEqual([...new Set(d.splits.test.y)].sort(), [0, 1, 2, 3, 4]);
});

test('STS years: datasets in SentEval order, unscored pairs dropped, 2013 without SMT', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const d = await loadTask(resolveTask('STS15'), dir);
  assert.deepEqual(Object.keys(d.splits), ['answers-forums', 'answers-students', 'belief', 'headlines', 'images']);
  // answers-forums has 2000 input lines of which 375 have a gold score.
  assert.equal(d.splits['answers-forums'].y.length, 375);
  assert.ok(Object.values(d.splits).every((s) => s.y.every((v) => v >= 0 && v <= 5)));
  assert.deepEqual(d.files.slice(0, 2), ['STS/STS15-en-test/STS.input.answers-forums.txt', 'STS/STS15-en-test/STS.gs.answers-forums.txt']);
  const y13 = await loadTask(resolveTask('STS2013'), dir);
  assert.deepEqual(Object.keys(y13.splits), ['FNWN', 'headlines', 'OnWN']);
});

test('Quora with devAsTrain on the real dev/test copies (q1\\tq2\\tlabel rows)', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const def = resolveTask('QQP');
  // Without a training file (made so: a complete folder has one).
  const parent = mkdtempSync(join(tmpdir(), 'gensen-eval-quora-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const noTrain = dataDirWithout(dir, ['QUORA/train.tsv', 'QUORA/train.txt'], parent);
  await assert.rejects(loadTask(def, noTrain), /Quora: no training file \(looked for QUORA\/train\.tsv, QUORA\/train\.txt .*--quora-dev-as-train/);
  const d = await loadTask(def, dir, { devAsTrain: true });
  assert.deepEqual(d.files, ['QUORA/dev.txt', 'QUORA/test.txt']);
  assert.equal(d.splits.train.y.length, 9000);
  assert.equal(d.splits.dev.y.length, 1000);
  assert.equal(d.notes.length, 1);
  assert.match(d.notes[0], /trained on the BiMPM dev split/);
  // Train + held-out dev are exactly the dev file's rows, each part in file order.
  const whole = (await loadTask({ ...def, splits: { dev: def.splits.dev, test: def.splits.test }, devAsTrain: undefined }, dir)).splits.dev;
  assertMatchesReference(whole, ref.tasks.Quora.dev, 'Quora/dev file');
  const lines = (s: Split): string[] => s.y.map((_, i) => sampleLine(s, i));
  const all = lines(whole);
  const pos = new Map(all.map((l, i) => [l, i]));
  for (const part of [lines(d.splits.train), lines(d.splits.dev)]) {
    const idx = part.map((l) => pos.get(l) ?? -1);
    assert.ok(
      idx.every((v, k) => v >= 0 && (k === 0 || v > idx[k - 1])),
      'a subsequence of the dev file',
    );
  }
  assert.deepEqual([...lines(d.splits.train), ...lines(d.splits.dev)].sort(), [...all].sort());
  assertMatchesReference(d.splits.test, ref.tasks.Quora.test, 'Quora/test');
  assert.deepEqual(d.splits.test.a[0].slice(0, 4), ['What', 'should', 'I', 'do']);
});
