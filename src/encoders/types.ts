import type { Matrix } from '../util/matrix.js';
import type { DeviceRecord } from '../compute/device.js';

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
 * Facts of a task that one encoder's reference evaluation script depended on, keyed by encoder
 * name (`{"gensen": {"pooling": "max"}}`), from the task definition's optional `encoderHints`
 * (tasks/<id>.json), so that no encoder hard-codes task names. Each encoder validates its own.
 */
export type EncoderHints = Readonly<Record<string, unknown>>;

/** Per-sentence top-layer states of a batch: each [length, dim] row-major (GenSen's `--all-states`). */
export interface TokenStates {
  readonly lengths: Int32Array;
  readonly states: Float32Array[];
}

/** Per-task context handed to `prepare` before any `encode` for that task. */
export interface TaskContext {
  readonly taskId: string;
  /** Every sample's tokens, as SentEval's `prepare` sees them (all splits, both sides of pairs). */
  readonly samples: readonly (readonly string[])[];
  /** The task definition's `encoderHints` ({} when it has none); absent for ad-hoc contexts (then looked up by `taskId`). */
  readonly encoderHints?: EncoderHints;
}

/**
 * A frozen sentence encoder: the contract `evaluate()` and `encode` rely on. Batches of token lists
 * in, a float32 matrix (one row per sentence, `identity.dim` columns) out.
 *
 * The engine calls, in this order: `prepareRun` (optional, once with every task of the run), then
 * per task `prepare` once, then `encode` on consecutive batches of SentEval's sorted order (batch
 * size `encoderBatchSize`, 128 by default), then `close` once at the end (also after a failure).
 *
 * - `identity` must not change after construction, and two encoders with equal identities must give
 *   equal vectors: the feature cache and `--resume` key on it. Encoders whose weights the harness
 *   cannot see (command, http) put the name, dimension and a fingerprint their author declares.
 * - `encode` must return exactly `batch.length` rows of `identity.dim` finite float32 values, the same
 *   rows for the same batch every time; a failure is thrown as `UserError` with one line that names
 *   the encoder.
 * - `batchIndependent: true` declares that a sentence's vector does not depend on the other
 *   sentences of its batch (bag of words, transformers with attention masks); the evaluation then
 *   encodes each distinct sentence once and the cache ignores the batch size. Absent or false means
 *   it may (GenSen's faithful max pooling over the batch's padding), so SentEval's batches are kept
 *   exactly.
 * - `notes` are short sentences recorded with every task's results.
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
  /**
   * How many `encode` calls the evaluation may have in flight at once (absent: 1, each awaited
   * before the next). An encoder whose work runs on threads of its own (GenSen's model threads)
   * says 2, so that they hold the next batch while the caller stores the last; each call must still
   * return what it would alone. A whole number from 1 to MAX_ENCODE_CONCURRENCY (encode-in-order.ts).
   */
  readonly encodeConcurrency?: number;
  /**
   * Optional: `encode` that also returns each sentence's per-token states (the `encode` command's
   * `--all-states`; declared by `tokenStates` in the encoder's definition).
   */
  encodeWithStates?(batch: readonly (readonly string[])[]): Promise<{ vectors: Matrix; states: TokenStates }>;
  /** Notes for the results file (e.g. which word vectors a vocabulary expansion used). */
  notes(): string[];
  /** The hardware that runs `encode` (absent: the CPU of this process). */
  readonly computeDevice?: DeviceRecord;
  close(): Promise<void>;
}
