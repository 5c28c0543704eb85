import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentEvalOrder } from '../../src/evaluate/sentEval-order.js';
import { pairFeatures } from '../helpers/pair-features.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { UserError } from '../../src/util/errors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTask } from '../../src/tasks/load.js';
import { resolveTask } from '../../src/tasks/registry.js';
import { pySplit, pySplitlines } from '../../src/util/pystr.js';
import { senteval } from '../helpers/data.js';

test('sentEvalOrder sorts by (len a, len b, label), stably', () => {
  const split = {
    a: [['x', 'y'], ['p'], ['q'], ['r', 's'], ['t']],
    b: [['1'], ['1', '2'], ['1'], ['1'], ['1']],
    y: [0, 1, 1, 0, 0],
  };
  const o = sentEvalOrder(split, ['lenA', 'lenB', 'y']);
  // len-1 'a' sentences: q(b1,y1), t(b1,y0), p(b2,y1) -> t, q, p; then len-2: x(b1,y0), r(b1,y0) stable.
  assert.deepEqual(o.a, [['t'], ['q'], ['p'], ['x', 'y'], ['r', 's']]);
  assert.deepEqual(o.y, [0, 1, 1, 0, 0]);
  const single = sentEvalOrder({ a: [['a', 'b'], [], ['c']], y: [1, 0, 0] }, ['lenA', 'y']);
  assert.deepEqual(single.a, [[], ['c'], ['a', 'b']]);
  // SNLI: (len s2, len s1, label string); 'contradiction' < 'entailment' < 'neutral'.
  const names = ['entailment', 'neutral', 'contradiction'];
  const snli = sentEvalOrder({ a: [['x'], ['y', 'y'], ['z']], b: [['1'], ['1'], ['1']], y: [1, 0, 2] }, ['lenB', 'lenA', 'labelName'], names);
  assert.deepEqual(snli.y, [2, 1, 0]);
  assert.deepEqual(snli.a, [['z'], ['x'], ['y', 'y']]);
});

test('pair features: [|u-v|, u*v] and [u, v, u*v, |u-v|]', () => {
  const u = { rows: 2, cols: 2, data: Float32Array.from([1, -2, 0.5, 3]) };
  const v = { rows: 2, cols: 2, data: Float32Array.from([3, 1, 0.5, -1]) };
  assert.deepEqual([...pairFeatures('absdiff-prod', u, v).data], [2, 3, 3, -2, 0, 4, 0.25, -3]);
  const nli = pairFeatures('nli', u, v);
  assert.equal(nli.cols, 8);
  assert.deepEqual([...nli.data.subarray(0, 8)], [1, -2, 3, 1, 3, -2, 2, 3]);
  assert.equal(pairFeatures('single', u), u);
  assert.throws(() => pairFeatures('nli', u), /two equal-shaped/);
});

test('presets and overrides', () => {
  const paper = resolveSettings('paper');
  assert.equal(paper.kfold, 10);
  assert.equal(paper.optim, 'adam');
  assert.equal(paper.lossReduction, 'mean');
  const fast = resolveSettings('fast', { nhid: 50 });
  assert.deepEqual([fast.kfold, fast.optim, fast.batchSize, fast.tenacity, fast.epochSize, fast.nhid], [5, 'rmsprop', 128, 3, 2, 50]);
  assert.equal(resolveSettings('gensen').lossReduction, 'sum');
  assert.throws(
    () => resolveSettings('nope'),
    (e: unknown) => e instanceof UserError && /paper, fast, gensen/.test(e.message),
  );
  assert.throws(() => resolveSettings('paper', { kfold: 1 }), UserError);
  assert.throws(() => resolveSettings('paper', { dropout: 1.5 }), UserError);
});

test('task fingerprints change with the settings their protocol uses, and only those', async () => {
  const { taskFingerprint } = await import('../../src/evaluate/run-task.js');
  const { resolveTask } = await import('../../src/tasks/registry.js');
  const files = [{ path: 'x', sha256: 'y' }];
  const sick = resolveTask('SICK-R');
  const mr = resolveTask('MR');
  const paper = resolveSettings('paper');
  const fast = resolveSettings('fast');
  // The relatedness trainer ignores the classifier preset...
  assert.equal(taskFingerprint(sick, paper, files), taskFingerprint(sick, fast, files));
  // ...but not its loss reduction, early-stopping statistic or the data.
  assert.notEqual(taskFingerprint(sick, paper, files), taskFingerprint(sick, resolveSettings('gensen'), files));
  assert.notEqual(taskFingerprint(sick, paper, files), taskFingerprint(sick, paper, [{ path: 'x', sha256: 'z' }]));
  assert.notEqual(taskFingerprint(mr, paper, files), taskFingerprint(mr, fast, files));
  assert.equal(taskFingerprint(mr, paper, files), taskFingerprint(mr, resolveSettings('paper', { stsLowScores: 'clean' }), files));
});

test("sample origins travel through loading and SentEval's sort: MR on the real data", async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const data = await loadTask(resolveTask('MR'), dataDir);
  const all = data.splits.all!;
  assert.deepEqual(all.origin!.files, ['MR/rt-polarity.pos', 'MR/rt-polarity.neg']);
  const ordered = sentEvalOrder(all, ['lenA', 'y']);
  const lines = all.origin!.files.map((f) => pySplitlines(readFileSync(join(dataDir, f), 'latin1')));
  // Every sorted sample is the tokens of the line its origin names, with that file's label.
  for (let i = 0; i < ordered.y.length; i += 97) {
    const f = ordered.origin!.file[i]!;
    assert.deepEqual(ordered.a[i], pySplit(lines[f]![ordered.origin!.line[i]! - 1]!), `sample ${i}`);
    assert.equal(ordered.y[i], f === 0 ? 1 : 0);
  }
});
