/**
 * Sentence stores shared between the tasks of one run: a task that asks the same encoder state for
 * the same sentences as a task before it (SICK-E and SICK-R read the same files) gets that task's
 * store instead of encoding again, with or without the on-disk feature cache. A store is kept only
 * while a later task of the run reads the same set of sentences, so holding it costs no memory
 * that the next task would not need anyway.
 *
 * What may be shared follows the store plan: for an encoder whose vectors do not depend on their
 * batch (distinct plans) the set of sentences decides and the later task's rows are looked up by
 * content; otherwise (one row per occurrence, in SentEval's batches) only the same rows in the same
 * order and batches, so every vector is the one the task would have computed itself.
 */
import { createHash } from 'node:crypto';
import type { EncoderIdentity } from '../encoders/types.js';
import type { FeatureDtype } from '../features/dtype.js';
import type { SentenceStore } from '../features/store.js';
import type { Split } from '../tasks/types.js';
import { canonicalJson } from '../util/hash.js';
import { sentenceKey, type StorePlan } from './task-store.js';

/** sha256 of the distinct sentences of every split (both sides), in code-point order: the task's sentence set. */
export function sentenceSet(splits: Readonly<Record<string, Split>>): string {
  const all = new Set<string>();
  for (const split of Object.values(splits)) {
    for (const s of split.a) all.add(sentenceKey(s));
    if (split.b) for (const s of split.b) all.add(sentenceKey(s));
  }
  const h = createHash('sha256');
  for (const k of [...all].sort()) {
    h.update('\u0002');
    h.update(k);
  }
  return h.digest('hex');
}

/** What makes two stores interchangeable besides their sentences. */
export interface StoreSpec {
  readonly identity: EncoderIdentity;
  readonly taskState: string;
  /** Undefined for distinct plans (batch-independent encoders). */
  readonly batchSize: number | undefined;
  readonly dtype: FeatureDtype;
}

interface Entry {
  readonly set: string;
  readonly spec: string;
  readonly plan: StorePlan;
  readonly store: SentenceStore;
  /** Distinct plans: each sentence's row. */
  readonly rowOf?: ReadonlyMap<string, number>;
}

export class RunStores {
  private readonly entries: Entry[] = [];
  /** How many of the remaining tasks read each sentence set. */
  private readonly pending = new Map<string, number>();

  /** `sets`: the sentence set of each task the run will encode, in order. */
  constructor(sets: readonly string[]) {
    for (const s of sets) this.pending.set(s, (this.pending.get(s) ?? 0) + 1);
  }

  /** The store an earlier task made for the same spec and sentences, with the plan's rows pointed into it. */
  find(set: string, spec: StoreSpec, plan: StorePlan): { store: SentenceStore; plan: StorePlan } | undefined {
    const key = specKey(spec);
    const e = this.entries.find((x) => x.set === set && x.spec === key && x.plan.distinct === plan.distinct);
    if (!e) return undefined;
    if (!plan.distinct) return samePlan(e.plan, plan) ? { store: e.store, plan } : undefined;
    const rows = new Int32Array(plan.rows.length);
    for (let i = 0; i < plan.rows.length; i++) {
      const r = e.rowOf!.get(sentenceKey(plan.rows[i]!));
      if (r === undefined) return undefined;
      rows[i] = r;
    }
    const index: Record<string, { a: Int32Array; b?: Int32Array }> = {};
    for (const [name, idx] of Object.entries(plan.index)) {
      const a = idx.a.map((r) => rows[r]!);
      index[name] = idx.b ? { a, b: idx.b.map((r) => rows[r]!) } : { a };
    }
    return { store: e.store, plan: { ...plan, rows: e.plan.rows, segments: e.plan.segments, index } };
  }

  /** Keeps a task's store if a later task reads the same sentences. */
  offer(set: string, spec: StoreSpec, plan: StorePlan, store: SentenceStore): void {
    if ((this.pending.get(set) ?? 0) === 0) return;
    const key = specKey(spec);
    if (this.entries.some((x) => x.set === set && x.spec === key && x.plan.distinct === plan.distinct)) return;
    const rowOf = plan.distinct ? new Map(plan.rows.map((s, i) => [sentenceKey(s), i] as const)) : undefined;
    this.entries.push({ set, spec: key, plan, store, ...(rowOf ? { rowOf } : {}) });
  }

  /** A task of this set is done: drop the stores no remaining task reads. */
  finished(set: string): void {
    const left = (this.pending.get(set) ?? 1) - 1;
    this.pending.set(set, left);
    if (left > 0) return;
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.set === set) this.entries.splice(i, 1);
  }
}

function specKey(s: StoreSpec): string {
  return canonicalJson({ identity: s.identity, taskState: s.taskState, batchSize: s.batchSize ?? 'independent', dtype: s.dtype });
}

function samePlan(p: StorePlan, q: StorePlan): boolean {
  if (p.rows.length !== q.rows.length || p.segments.length !== q.segments.length) return false;
  for (let i = 0; i < p.segments.length; i++) if (p.segments[i]![0] !== q.segments[i]![0] || p.segments[i]![1] !== q.segments[i]![1]) return false;
  for (let i = 0; i < p.rows.length; i++) if (sentenceKey(p.rows[i]!) !== sentenceKey(q.rows[i]!)) return false;
  return true;
}
