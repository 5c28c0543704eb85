/**
 * Encodes a task into its sentence store. Every sentence of every split (both sides of pairs) gets a
 * store row; examples refer to rows. An encoder that declares `batchIndependent` has each distinct
 * sentence encoded once (MultiNLI's premises serve three hypotheses each), in batches of similar
 * lengths. Any other encoder may
 * give a sentence a different vector in a different batch (GenSen's faithful max pooling takes the
 * max over the batch's padding), so its store keeps one row per occurrence, encoded in exactly
 * SentEval's batches: each split's side a, then side b, in consecutive batches of the encoder batch
 * size over SentEval's sorted order.
 */
import { checkEncoderOutput } from '../encoders/check-output.js';
import { encodeConcurrency, inOrder } from '../encoders/encode-in-order.js';
import type { SentenceEncoder } from '../encoders/types.js';
import { overflowsAt, type FeatureDtype } from '../features/dtype.js';
import { SentenceStore } from '../features/store.js';
import type { Split } from '../tasks/types.js';
import type { FeatureCache } from './feature-cache.js';
import { UserError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';

export interface EncodeStats {
  sentences: number;
  fromCache: number;
  /** Sentence occurrences served by a store an earlier task of the run made (run-stores.ts). */
  fromRun?: number;
  seconds: number;
  /** Set once the store exists. */
  store?: { rows: number; occurrences: number; dim: number; dtype: string; bytes: number };
}

/**
 * A sentence's key wherever sentences are compared or hashed (store plans, shared stores, the
 * memory estimate, feature-cache keys): its tokens joined by \u0001, which cannot occur inside a
 * token (tokens come from whitespace splits of text lines).
 */
export function sentenceKey(s: readonly string[]): string {
  return s.join('\u0001');
}

/** Which sentence goes into each store row, and how the rows are batched. */
export interface StorePlan {
  /** Token lists in row order. */
  readonly rows: readonly (readonly string[])[];
  /** Row ranges batched independently (a batch never crosses a segment's end). */
  readonly segments: readonly (readonly [number, number])[];
  /** Per split: the store row of each example's first (and second) sentence. */
  readonly index: Readonly<Record<string, { readonly a: Int32Array; readonly b?: Int32Array }>>;
  /** Sentence occurrences the plan covers (rows.length when every occurrence has its own row). */
  readonly occurrences: number;
  readonly distinct: boolean;
}

/** The store rows of the splits (in SentEval's order already), deduplicated when `distinct`. */
export function planStore(splits: Readonly<Record<string, Split>>, distinct: boolean): StorePlan {
  const rows: (readonly string[])[] = [];
  const segments: [number, number][] = [];
  const index: Record<string, { a: Int32Array; b?: Int32Array }> = {};
  const seen = new Map<string, number>();
  let occurrences = 0;
  const side = (sentences: readonly (readonly string[])[]): Int32Array => {
    const idx = new Int32Array(sentences.length);
    const first = rows.length;
    for (let i = 0; i < sentences.length; i++) {
      const s = sentences[i]!;
      if (distinct) {
        const key = sentenceKey(s);
        let r = seen.get(key);
        if (r === undefined) {
          r = rows.length;
          seen.set(key, r);
          rows.push(s);
        }
        idx[i] = r;
      } else {
        idx[i] = rows.length;
        rows.push(s);
      }
    }
    occurrences += sentences.length;
    if (!distinct && rows.length > first) segments.push([first, rows.length]);
    return idx;
  };
  for (const name of Object.keys(splits).sort()) {
    const split = splits[name]!;
    const a = side(split.a);
    index[name] = split.b ? { a, b: side(split.b) } : { a };
  }
  if (distinct && rows.length > 0) segments.push([0, rows.length]);
  return { rows, segments, index, occurrences, distinct };
}

export interface StoreEncodeOptions {
  readonly encoder: SentenceEncoder;
  readonly taskState: string;
  readonly batchSize: number;
  readonly dtype: FeatureDtype;
  readonly cache?: FeatureCache;
  readonly stats: EncodeStats;
  readonly onBatch?: (done: number, total: number) => void;
}

/** A float32 value in the fewest significant digits that read back as it (3.4e+38, not 3.3999999521443642e+38). */
function float32Text(x: number): string {
  for (let p = 1; p < 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return String(t);
  }
  return String(x);
}

/**
 * `m` when a half-width store can hold every value; else a UserError naming the value, since the
 * store would hold ±Infinity there and the probes NaN: a rounded store must not change a number
 * into no number.
 */
function storable(m: Matrix, dtype: FeatureDtype, where: { encoder: string; index: number }): Matrix {
  const limit = overflowsAt(dtype);
  if (limit === Number.POSITIVE_INFINITY) return m;
  for (let i = 0; i < m.data.length; i++) {
    const x = m.data[i]!;
    if (x >= limit || x <= -limit) {
      throw new UserError(
        `encoder '${where.encoder}', batch ${where.index}: row ${Math.floor(i / m.cols)} holds ${float32Text(x)} at column ${i % m.cols}, beyond --feature-dtype ${dtype}'s range (it would be stored as ${x > 0 ? '' : '-'}Infinity); use --feature-dtype ${dtype === 'float16' ? 'bfloat16 or ' : ''}float32`,
      );
    }
  }
  return m;
}

/** The plan's rows encoded into a store (or read back from the feature cache, verified). */
export async function encodeStore(plan: StorePlan, o: StoreEncodeOptions): Promise<SentenceStore> {
  const t0 = performance.now();
  const dim = o.encoder.identity.dim;
  const key = o.cache?.storeKey(o.encoder.identity, o.taskState, plan.distinct ? undefined : o.batchSize, o.dtype, plan.rows);
  if (key) {
    const hit = o.cache!.getStore(key, plan.rows.length, dim, o.dtype);
    if (hit) {
      o.stats.store = { rows: hit.rows, occurrences: plan.occurrences, dim, dtype: o.dtype, bytes: hit.bytes };
      o.stats.sentences += plan.occurrences;
      o.stats.fromCache += plan.occurrences;
      o.stats.seconds += (performance.now() - t0) / 1000;
      return hit;
    }
  }
  const store = SentenceStore.create(plan.rows.length, dim, o.dtype);
  // Each batch with where its vectors go: the store row of each of its sentences.
  const batches: { readonly sentences: (readonly string[])[]; readonly rows: ArrayLike<number> | number }[] = [];
  if (plan.distinct) {
    // A batch-independent encoder gets its rows shortest first: batches of similar lengths pad
    // least (a pair task's second sentences come in the order of the first ones' lengths). The
    // store keeps the plan's row order, so cache keys and vectors are what they were.
    const order = plan.rows.map((_, i) => i).sort((a, b) => plan.rows[a]!.length - plan.rows[b]!.length || a - b);
    for (let i = 0; i < order.length; i += o.batchSize) {
      const ids = order.slice(i, i + o.batchSize);
      batches.push({ sentences: ids.map((r) => plan.rows[r]!), rows: ids });
    }
  } else {
    for (const [from, to] of plan.segments) {
      for (let i = from; i < to; i += o.batchSize) batches.push({ sentences: plan.rows.slice(i, Math.min(i + o.batchSize, to)), rows: i });
    }
  }
  let done = 0;
  await inOrder(
    encodeConcurrency(o.encoder),
    batches,
    (b) => o.encoder.encode(b.sentences),
    (b, index, vectors) => {
      const where = { encoder: o.encoder.identity.name, index, first: b.sentences[0]! };
      const m = storable(checkEncoderOutput(vectors, b.sentences.length, dim, where), o.dtype, where);
      if (typeof b.rows === 'number') store.setRows(b.rows, m.data, m.rows);
      else for (let k = 0; k < b.rows.length; k++) store.setRows(b.rows[k]!, m.data.subarray(k * dim, (k + 1) * dim), 1);
      done += b.sentences.length;
      o.onBatch?.(done, plan.rows.length);
    },
  );
  if (key) o.cache!.putStore(key, store);
  o.stats.store = { rows: store.rows, occurrences: plan.occurrences, dim, dtype: o.dtype, bytes: store.bytes };
  o.stats.sentences += plan.occurrences;
  o.stats.seconds += (performance.now() - t0) / 1000;
  return store;
}
