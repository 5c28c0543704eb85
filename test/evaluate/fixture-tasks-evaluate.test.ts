import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { savePredictionsBeside } from '../../src/evaluate/save-predictions.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { readPredictions } from '../../src/results/predictions.js';
import { resolveTask } from '../../src/tasks/registry.js';
import { repoRoot } from '../helpers/data.js';

// SNLI, MultiNLI and the Quora train split are not on this machine: their whole path (reader,
// SentEval order, nli features, split protocol, extra test sets, predictions) runs on small files
// in the exact upstream formats.
const dataDir = join(repoRoot(), 'test', 'fixtures', 'tasks', 'data');
const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-fx-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});

test('SNLI, MultiNLI (matched + mismatched) and Quora evaluate end to end on upstream-format fixtures', async () => {
  const encoder = await createEncoder({ encoder: 'bow' });
  // The fixture's MultiNLI train file is tiny: hold out 4 rows for model selection instead of 10,000.
  const mnli = resolveTask('MNLI');
  const smallMnli = { ...mnli, heldOut: { ...mnli.heldOut!, size: 4 } };
  const out = join(tmp, 'fx.json');
  const r = await evaluate(encoder, {
    tasks: [resolveTask('SNLI'), smallMnli, resolveTask('QQP')],
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    outPath: out,
    progress: silentProgress,
    onPredictions: savePredictionsBeside(out, 1111),
  });
  const snli = r.tasks.SNLI!;
  assert.deepEqual(Object.keys(snli.metrics).sort(), ['acc', 'devacc']);
  assert.ok(
    snli.notes?.some((n) => /1e-9/.test(n)),
    'SNLI runs without the L2 search',
  );
  const m = r.tasks.MultiNLI!;
  assert.deepEqual(Object.keys(m.metrics).sort(), ['acc', 'acc_mismatched', 'devacc']);
  assert.equal(m.samples.dev, 4);
  const preds = readPredictions(out, m.predictionsFile!);
  assert.equal(preds.split, 'test');
  assert.equal(preds.gold.length, m.samples.test);
  assert.equal(preds.extra?.test_mismatched?.gold.length, m.samples.test_mismatched);
  // Accuracy recomputed from the saved predictions is the reported one.
  const acc = (g: readonly number[], p: readonly number[]) => Math.round((10000 * g.filter((y, i) => y === p[i]).length) / g.length) / 100;
  assert.equal(acc(preds.gold, preds.pred), m.metrics.acc);
  assert.equal(acc(preds.extra!.test_mismatched!.gold, preds.extra!.test_mismatched!.pred), m.metrics.acc_mismatched);
  const q = r.tasks.Quora!;
  assert.ok(q.samples.train! > 0 && q.samples.test! > 0);
  assert.ok(existsSync(join(dirname(out), 'fx.predictions', 'Quora.json')));

  // The sidecars join back to the data: every example's file and line hold its gold label.
  const lineOf = (file: string, line: number): string => readFileSync(join(dataDir, file), 'utf8').split(/\r?\n/)[line - 1]!;
  const mp = readPredictions(out, m.predictionsFile!);
  assert.deepEqual(mp.labels, resolveTask('MNLI').labels);
  for (const [set, name] of [
    [mp, 'test'],
    [mp.extra!.test_mismatched!, 'test_mismatched'],
  ] as const) {
    assert.ok(set.source, `${name} has source positions`);
    assert.equal(set.source!.line.length, set.gold.length);
    set.gold.forEach((g, i) => {
      const row = JSON.parse(lineOf(set.source!.files[set.source!.file[i]!]!, set.source!.line[i]!)) as { gold_label: string };
      assert.equal(row.gold_label, mp.labels![g], `${name} example ${i}`);
    });
  }
  assert.match(mp.source!.files[0]!, /dev_matched/);
  assert.match(mp.extra!.test_mismatched!.source!.files[0]!, /dev_mismatched/);
  const sp = readPredictions(out, snli.predictionsFile!);
  assert.equal(sp.source!.files[0], 'SNLI/s1.test');
  // SentEval sorts SNLI's test set, so the lines are not in file order; each label line still matches.
  assert.notDeepEqual(
    sp.source!.line,
    [...sp.source!.line].sort((x, y) => x - y),
  );
  sp.gold.forEach((g, i) => assert.equal(lineOf('SNLI/labels.test', sp.source!.line[i]!), sp.labels![g]));
  // Class probabilities of the kept model: one row of nclasses per example, its arg-max the prediction.
  for (const [set, nc] of [
    [mp, 3],
    [mp.extra!.test_mismatched!, 3],
    [sp, 3],
  ] as const) {
    assert.equal(set.probabilities?.length, set.gold.length);
    set.probabilities!.forEach((row, i) => {
      assert.equal(row.length, nc);
      assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5);
      assert.equal(row.indexOf(Math.max(...row)), set.pred[i], `example ${i}: ${JSON.stringify(row)}`);
    });
  }
  const qp = readPredictions(out, q.predictionsFile!);
  qp.gold.forEach((g, i) => {
    const cols = lineOf(qp.source!.files[0]!, qp.source!.line[i]!).split('\t');
    assert.ok(cols[0] === String(g) || cols[2] === String(g), `Quora example ${i}`);
  });
  assert.ok(qp.probabilities!.every((row, i) => row.length === 2 && (row[1]! > row[0]! ? 1 : 0) === qp.pred[i]));
});
