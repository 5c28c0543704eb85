import type { Matrix } from '../util/matrix.js';

/** What identifies an encoder's outputs: two encoders with equal identities give equal vectors. */
export interface EncoderIdentity {
  /** Short name, e.g. `bow`, `borep`, `gensen`. */
  readonly name: string;
  readonly dim: number;
  /** sha256 over the weights (and anything else the vectors depend on). */
  readonly weightsHash: string;
  /** Settings that change the output (pooling, prefixes, projection seed, ...). */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Facts of a task that reference encoders' evaluation scripts depended on, taken from the task's
 * definition (tasks/<id>.json) so that no encoder hard-codes task names.
 */
export interface TaskHints {
  /** gensen_senteval.py built this task's vocabulary cased (TREC). */
  readonly vocabCased: boolean;
  /** The pooling GenSen's `best` strategy uses for this task. */
  readonly gensenPooling: 'max' | 'last';
}

/** Per-task context handed to `prepare` before any `encode` for that task. */
export interface TaskContext {
  readonly taskId: string;
  /** Every sample's tokens, as SentEval's `prepare` sees them (all splits, both sides of pairs). */
  readonly samples: readonly (readonly string[])[];
  /** The task definition's hints; absent for ad-hoc contexts (then looked up by `taskId`). */
  readonly hints?: TaskHints;
}

/**
 * A frozen sentence encoder. Batches of token lists in, a float32 matrix (one row per sentence) out.
 * The evaluation engine calls `prepare` once per task, then `encode` on consecutive batches of
 * SentEval's sorted order.
 */
export interface SentenceEncoder {
  readonly identity: EncoderIdentity;
  /**
   * True when a sentence's vector does not depend on the other sentences of its batch (bag of
   * words; GenSen with `last` pooling or masked max). The evaluation then encodes each distinct
   * sentence of a task once. Absent or false: it may (GenSen's faithful max pooling), and SentEval's
   * batches are kept exactly, one store row per occurrence. Read after `prepare` (it may depend on
   * the task's pooling).
   */
  readonly batchIndependent?: boolean;
  /**
   * Called once per task. Returns a key for the task-dependent state it built (e.g. an expanded
   * vocabulary), or '' when outputs do not depend on the task. Caches key on identity + this.
   */
  prepare(task: TaskContext): Promise<string>;
  /**
   * Optional: called once before the first `prepare` with every task of the run, so an encoder can
   * do run-wide work once (GenSen streams a GloVe file once for all tasks' words).
   */
  prepareRun?(tasks: readonly TaskContext[]): Promise<void>;
  /**
   * Encode one batch. Vectors may depend on batch composition (GenSen's faithful max pooling), so
   * callers keep SentEval's batching.
   */
  encode(batch: readonly (readonly string[])[]): Promise<Matrix>;
  /** Notes for the results file (e.g. which word vectors a vocabulary expansion used). */
  notes(): string[];
  close(): Promise<void>;
}
