/**
 * What GenSen's evaluation script knew about each task, read from the task definition's
 * `encoderHints.gensen` (tasks/*.json) so that no code names a task. Optional: a task without
 * hints gets the defaults (lowercased vocabulary, `last` pooling under `best`), which is what
 * gensen_senteval.py did for every task it did not single out. GenSen validates its own hints;
 * the generic task validator only checks that `encoderHints` maps encoder names to objects.
 */
import { UserError } from '../../util/errors.js';
import { findTask } from '../../tasks/registry.js';
import type { TaskContext } from '../types.js';
import type { Pooling } from './pooling.js';

export interface GensenTaskHints {
  /** gensen_senteval.py built this task's vocabulary cased (TREC). */
  readonly vocabCased: boolean;
  /** The pooling GenSen's `best` strategy (the paper's) uses for this task: max for MR, CR, SUBJ, MPQA. */
  readonly pooling: Pooling;
}

export const DEFAULT_GENSEN_HINTS: GensenTaskHints = { vocabCased: false, pooling: 'last' };

/** The problem with a task's `encoderHints.gensen`, or undefined when it is valid (or absent). */
export function gensenHintsProblem(hints: unknown): string | undefined {
  if (hints === undefined) return undefined;
  if (hints === null || typeof hints !== 'object' || Array.isArray(hints)) return 'encoderHints.gensen must be an object';
  for (const [k, v] of Object.entries(hints)) {
    if (k === 'vocabCased') {
      if (typeof v !== 'boolean') return 'encoderHints.gensen.vocabCased must be true or false';
    } else if (k === 'pooling') {
      if (v !== 'max' && v !== 'last') return 'encoderHints.gensen.pooling must be "max" or "last"';
    } else {
      return `encoderHints.gensen: unknown field "${k}" (expected vocabCased, pooling)`;
    }
  }
  return undefined;
}

/**
 * A task's GenSen hints: from the context's `encoderHints`, else from the registered definition of
 * `taskId` (ad-hoc contexts), else the defaults. Invalid hints are a one-line UserError naming the task.
 */
export function gensenHints(task: string | TaskContext): GensenTaskHints {
  const id = typeof task === 'string' ? task : task.taskId;
  const all = typeof task !== 'string' && task.encoderHints ? task.encoderHints : findTask(id)?.encoderHints;
  const h = all?.['gensen'];
  const problem = gensenHintsProblem(h);
  if (problem) throw new UserError(`task ${id}: ${problem}`);
  return { ...DEFAULT_GENSEN_HINTS, ...(h as Partial<GensenTaskHints> | undefined) };
}

/** gensen_senteval.py's `best` strategy for a task (its hints' pooling; `last` for a task without). */
export function bestPoolingFor(task: string | TaskContext): Pooling {
  return gensenHints(task).pooling;
}
