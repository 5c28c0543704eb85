import type { TaskDefinition } from '../tasks/registry.js';
import { UserError } from '../util/errors.js';
import type { ShardInfo } from './schema.js';

/** `--shard K/N` → { index: K, count: N }; K is 1-based, as CI matrices count. */
export function parseShard(spec: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !(count >= 1) || !(index >= 1 && index <= count)) {
    throw new UserError(`--shard: expected K/N with 1 ≤ K ≤ N (e.g. 2/4), got '${spec}'`);
  }
  return { index, count };
}

/**
 * The tasks of shard K of N: task i (0-based, in the resolved --tasks order) goes to shard
 * (i mod N) + 1. A pure function of the task list, so every job of a matrix agrees on the split
 * without talking to the others, and `merge` can tell when a shard is missing.
 */
export function shardTasks(defs: readonly TaskDefinition[], spec: { index: number; count: number }): { tasks: TaskDefinition[]; shard: ShardInfo } {
  if (spec.count > defs.length) {
    throw new UserError(
      `--shard ${spec.index}/${spec.count}: only ${defs.length} task(s) to split (${defs.map((d) => d.id).join(', ')}); use at most ${defs.length} shards`,
    );
  }
  return {
    tasks: defs.filter((_, i) => i % spec.count === spec.index - 1),
    shard: { index: spec.index, count: spec.count, of: defs.map((d) => d.id) },
  };
}
