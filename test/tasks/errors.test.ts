import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SplitSource, TaskDefinition } from '../../src/tasks/definition.js';
import { loadTask } from '../../src/tasks/load.js';
import { resolveTask } from '../../src/tasks/registry.js';
import { UserError } from '../../src/util/errors.js';
import { FIXTURE_DATA, MALFORMED } from './helpers.js';

/** The task's definition with every split reading `file` from the malformed folder. */
function on(task: string, file: SplitSource): TaskDefinition {
  const def = resolveTask(task);
  return { ...def, splits: { train: file, test: file }, heldOut: undefined, devAsTrain: undefined };
}

async function userError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('a missing file names the task, the expected path and how to get the data', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'gensen-eval-empty-'));
  try {
    await userError(
      loadTask(resolveTask('MR'), empty),
      new RegExp(
        `^MR: data file MR/rt-polarity\\.pos not found \\(looked for ${empty}/MR/rt-polarity\\.pos\\).*gensen-eval data get.*--data-dir.*SENTEVAL_DATA`,
      ),
    );
    await userError(
      loadTask(resolveTask('Quora'), empty),
      /^Quora: no training file \(looked for QUORA\/train\.tsv, QUORA\/train\.txt in .*--quora-dev-as-train/,
    );
    await userError(loadTask(resolveTask('Quora'), empty, { devAsTrain: true }), /^Quora: data file QUORA\/dev\.tsv or QUORA\/dev\.txt not found/);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test('SICK: a short row, a non-numeric score, an unknown label name file:line', async () => {
  await userError(loadTask(on('SICK-R', 'sick-short-row.txt'), MALFORMED), /^sick-short-row\.txt:3: expected at least 4 tab-separated columns, found 3$/);
  await userError(loadTask(on('SICK-E', 'sick-short-row.txt'), MALFORMED), /^sick-short-row\.txt:3: expected at least 5 tab-separated columns, found 3$/);
  await userError(loadTask(on('SICK-R', 'sick-bad-score.txt'), MALFORMED), /^sick-bad-score\.txt:3: expected a numeric score, found "four"$/);
  await userError(
    loadTask(on('SICK-E', 'sick-bad-label.txt'), MALFORMED),
    /^sick-bad-label\.txt:4: expected a label \(one of CONTRADICTION, NEUTRAL, ENTAILMENT\), found "ENTAILS"$/,
  );
});

test('SST5: a line without the space after the label, a class outside 0..4', async () => {
  await userError(
    loadTask(on('SST5', 'sst5-no-space'), MALFORMED),
    /^sst5-no-space:2: expected "LABEL sentence words" \(label, one space, sentence\), found "4"$/,
  );
  await userError(loadTask(on('SST5', 'sst5-bad-label'), MALFORMED), /^sst5-bad-label:2: expected a class index 0\.\.4, found "5"$/);
});

test('STS years: a third column, gold files of another length, a non-numeric or out-of-range score', async () => {
  const sts = (input: string, gold: string): TaskDefinition => ({ ...resolveTask('STS13'), splits: { FNWN: { input, gold } } });
  await userError(
    loadTask(sts('sts-three-columns.input', 'sts-three-columns.gs'), MALFORMED),
    /^sts-three-columns\.input:2: expected "sentence 1<TAB>sentence 2", found 3 tab-separated columns/,
  );
  await userError(
    loadTask(sts('sts-pairs.input', 'sts-short.gs'), MALFORMED),
    /^sts-short\.gs:3: expected 3 lines, one \(possibly empty\) gold score per sentence pair of sts-pairs\.input, found 2$/,
  );
  await userError(loadTask(sts('sts-pairs.input', 'sts-bad.gs'), MALFORMED), /^sts-bad\.gs:2: expected a numeric gold score or an empty line, found "five"$/);
  await userError(loadTask(sts('sts-pairs.input', 'sts-range.gs'), MALFORMED), /^sts-range\.gs:3: expected a gold score in \[0, 5\], found "5\.5"$/);
  // An empty gold line drops its pair; Python's float() strips the spaces around " 3 ".
  const ok = await loadTask(sts('sts-pairs.input', 'sts-ok.gs'), MALFORMED);
  assert.deepEqual(ok.splits.FNWN, { a: [['a', 'cat', 'sits'], ['end']], b: [['a', 'cat', 'sat'], ['end']], y: [4.2, 3] });
});

test('TREC, SST2, Quora, MultiNLI, SNLI malformed lines', async () => {
  await userError(loadTask(on('TREC', 'trec-no-colon.label'), MALFORMED), /^trec-no-colon\.label:2: expected "COARSE:fine question words"/);
  await userError(
    loadTask(on('TREC', 'trec-bad-class.label'), MALFORMED),
    /^trec-bad-class\.label:2: expected a label \(one of ABBR, DESC, ENTY, HUM, LOC, NUM\), found "WHAT"$/,
  );
  await userError(loadTask(on('SST2', 'sst-bad-label'), MALFORMED), /^sst-bad-label:3: expected a class index 0\.\.1, found "2"$/);
  await userError(loadTask(on('SST2', 'sst-not-utf8'), MALFORMED), /^sst-not-utf8:2: expected UTF-8 text/);
  await userError(loadTask(on('Quora', 'quora-bad-row.tsv'), MALFORMED), /^quora-bad-row\.tsv:3: expected a row "label\\tq1\\tq2\\tid" \(as the lines above\)/);
  await userError(loadTask(on('Quora', 'quora-no-label.tsv'), MALFORMED), /^quora-no-label\.tsv:1: expected a Quora row .* with label 0 or 1, found 3 columns/);
  await userError(loadTask(on('MultiNLI', 'mnli-bad-json.jsonl'), MALFORMED), /^mnli-bad-json\.jsonl:2: expected one JSON object per line$/);
  await userError(
    loadTask(on('MultiNLI', 'mnli-bad-label.jsonl'), MALFORMED),
    /^mnli-bad-label\.jsonl:2: expected a label \(one of entailment, neutral, contradiction\), found "entails"$/,
  );
  // "Å" in UTF-8 holds the byte 0x85, a line break once decoded as latin-1: SentEval would
  // silently misalign; here the line counts disagree and that is reported.
  await userError(
    loadTask(on('SNLI', { a: 'snli/s1.test', b: 'snli/s2.test', label: 'snli/labels.test' }), MALFORMED),
    /^snli\/s1\.test:3: expected 2 lines, one per label in snli\/labels\.test, found 3$/,
  );
});

test('the good fixtures load (so the errors above come from the defects)', async () => {
  await assert.doesNotReject(loadTask(resolveTask('Quora'), FIXTURE_DATA));
  await assert.doesNotReject(loadTask({ ...resolveTask('SNLI') }, FIXTURE_DATA));
});
