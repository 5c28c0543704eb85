/** GenSen's per-task facts live under the task file's `encoderHints.gensen`, optional and checked by GenSen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestPoolingFor, gensenHints, gensenHintsProblem } from '../../../src/encoders/gensen/task-hints.js';
import { listTasks } from '../../../src/tasks/registry.js';
import { UserError } from '../../../src/util/errors.js';

test("every task file's GenSen hints are valid; the paper's choices: max for MR, CR, SUBJ, MPQA, TREC's vocabulary cased", () => {
  const max: string[] = [];
  const cased: string[] = [];
  for (const def of listTasks()) {
    assert.equal(gensenHintsProblem(def.encoderHints?.['gensen']), undefined, def.id);
    const h = gensenHints({ taskId: def.id, samples: [], encoderHints: def.encoderHints ?? {} });
    if (h.pooling === 'max') max.push(def.id);
    if (h.vocabCased) cased.push(def.id);
  }
  assert.deepEqual(max.sort(), ['CR', 'MPQA', 'MR', 'SUBJ']);
  assert.deepEqual(cased, ['TREC']);
});

test('a task without hints gets the defaults (last pooling, lowercased vocabulary), not another task of the same id', () => {
  assert.deepEqual(gensenHints({ taskId: 'MR', samples: [], encoderHints: {} }), { vocabCased: false, pooling: 'last' });
  assert.equal(bestPoolingFor({ taskId: 'MyTask', samples: [] }), 'last');
  // An ad-hoc context (no encoderHints) is looked up by id.
  assert.equal(bestPoolingFor({ taskId: 'MR', samples: [] }), 'max');
});

test('bad GenSen hints are one line naming the task and the field', () => {
  const bad = (gensen: unknown, re: RegExp): void => {
    assert.throws(
      () => gensenHints({ taskId: 'T', samples: [], encoderHints: { gensen } }),
      (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'),
    );
  };
  bad({ pooling: 'mean' }, /^task T: encoderHints\.gensen\.pooling must be "max" or "last"$/);
  bad({ vocabCased: 'yes' }, /^task T: encoderHints\.gensen\.vocabCased must be true or false$/);
  bad({ pool: 'max' }, /^task T: encoderHints\.gensen: unknown field "pool" \(expected vocabCased, pooling\)$/);
  bad([], /^task T: encoderHints\.gensen must be an object$/);
});
