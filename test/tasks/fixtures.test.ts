import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskDefinition } from '../../src/tasks/definition.js';
import { loadTask } from '../../src/tasks/load.js';
import { resolveTask } from '../../src/tasks/registry.js';
import type { Split } from '../../src/tasks/types.js';
import { assertMatchesReference, FIXTURE_DATA, readReference, sampleLine } from './helpers.js';

const ref = readReference('reference-fixtures.json').tasks;

test('SNLI: s1/s2/labels files read as SentEval does (latin-1, splitlines, ASCII split, CRLF labels)', async () => {
  const d = await loadTask(resolveTask('SNLI'), FIXTURE_DATA);
  for (const split of ['train', 'dev', 'test']) assertMatchesReference(d.splits[split], ref.SNLI[split], `SNLI/${split}`);
  assert.deepEqual(Object.keys(d.splits), ['train', 'dev', 'test']);
  const row = d.splits.train;
  // UTF-8 "café" decoded as latin-1 (SentEval's codecs.open(..., 'latin-1')).
  assert.deepEqual(row.a[4].slice(3, 6), ['in', 'a', 'caf\u00c3\u00a9']);
  // U+00A0 arrives as "Â" + NBSP, which bytes.split() does not treat as whitespace.
  assert.equal(row.b?.[4][0], 'Two\u00c2\u00a0women');
  assert.deepEqual(row.a[5], ['A', 'man', 'is', 'playing', 'a', 'guitar', '.']);
  assert.deepEqual(d.splits.test.b?.[3], [], 'an empty hypothesis line is an empty sample');
  assert.deepEqual(row.y.slice(0, 3), [1, 2, 0], 'neutral 1, contradiction 2, entailment 0');
  assert.equal(d.files.length, 9);
});

function mnliWithHeldOut(size: number): TaskDefinition {
  const def = resolveTask('MNLI');
  assert.ok(def.heldOut);
  return { ...def, heldOut: { ...def.heldOut, size } };
}

function withoutHeldOut(def: TaskDefinition): TaskDefinition {
  return { ...def, heldOut: undefined };
}

const lines = (s: Split): string[] => s.y.map((_, i) => sampleLine(s, i));

test('MultiNLI: jsonl rows, "-" dropped, non-ASCII kept, matched = test, mismatched = test_mismatched', async () => {
  const def = resolveTask('MultiNLI');
  const whole = await loadTask(withoutHeldOut(def), FIXTURE_DATA);
  assertMatchesReference(whole.splits.train, ref.MultiNLI.train, 'MNLI/train');
  assertMatchesReference(whole.splits.test, ref.MultiNLI.test, 'MNLI/test');
  assertMatchesReference(whole.splits.test_mismatched, ref.MultiNLI.test_mismatched, 'MNLI/test_mismatched');
  assert.deepEqual(whole.splits.train.a[6].slice(0, 3), ['The', 'caf\u00e9', 'na\u00efve']);
  // The real training file is far larger than the 10,000 held out; the fixture is not.
  await assert.rejects(loadTask(def, FIXTURE_DATA), /MultiNLI train has 10 rows, too few to hold out 10000/);
});

test('MultiNLI: dev is a seeded, deterministic held-out part of train, both in file order', async () => {
  const whole = lines((await loadTask(withoutHeldOut(resolveTask('MNLI')), FIXTURE_DATA)).splits.train);
  const a = await loadTask(mnliWithHeldOut(3), FIXTURE_DATA);
  const b = await loadTask(mnliWithHeldOut(3), FIXTURE_DATA);
  assert.deepEqual(Object.keys(a.splits), ['train', 'dev', 'test', 'test_mismatched']);
  assert.equal(a.splits.dev.y.length, 3);
  assert.equal(a.splits.train.y.length, 7);
  assert.deepEqual(lines(a.splits.dev), lines(b.splits.dev), 'same seed, same rows');
  const pos = (l: string): number => whole.indexOf(l);
  for (const part of [lines(a.splits.train), lines(a.splits.dev)]) {
    const idx = part.map(pos);
    assert.ok(
      idx.every((v, k) => v >= 0 && (k === 0 || v > idx[k - 1])),
      'file order kept',
    );
  }
  assert.deepEqual([...lines(a.splits.train), ...lines(a.splits.dev)].sort(), [...whole].sort());
  const def = mnliWithHeldOut(3);
  const other = await loadTask({ ...def, heldOut: { ...def.heldOut!, seed: 7 } }, FIXTURE_DATA);
  assert.notDeepEqual(lines(other.splits.dev), lines(a.splits.dev), 'another seed picks other rows');
});

test('Quora: both row layouts, header line, CRLF and a trailing blank line', async () => {
  const d = await loadTask(resolveTask('Quora'), FIXTURE_DATA);
  assert.deepEqual(d.files, ['QUORA/train.tsv', 'QUORA/dev.tsv', 'QUORA/test.txt']);
  for (const split of ['train', 'dev', 'test']) assertMatchesReference(d.splits[split], ref.Quora[split], `Quora/${split}`);
  assert.deepEqual(d.notes, []);
  // label-first row whose second question is "1"; label-last row whose first question is "0".
  assert.deepEqual([d.splits.dev.b?.[2], d.splits.dev.y[2]], [['1'], 0]);
  assert.deepEqual([d.splits.test.a[1], d.splits.test.y[1]], [['0'], 0]);
  assert.deepEqual(d.splits.train.a[0].slice(0, 3), ['How', 'do', 'I']);
});

test('Quora: devAsTrain trains on dev minus a held-out part even when train exists, with a note', async () => {
  const def = resolveTask('Quora');
  const small = { ...def, devAsTrain: { ...def.devAsTrain!, heldOutSize: 1 } };
  const d = await loadTask(small, FIXTURE_DATA, { devAsTrain: true });
  assert.equal(d.splits.train.y.length, 3);
  assert.equal(d.splits.dev.y.length, 1);
  assert.equal(d.splits.test.y.length, 4);
  assert.deepEqual(d.files, ['QUORA/dev.tsv', 'QUORA/test.txt']);
  assert.deepEqual(d.notes, [def.devAsTrain!.note]);
});
