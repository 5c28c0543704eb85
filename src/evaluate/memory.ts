/**
 * Memory is a requirement like time: before any encoding, each task's peak is estimated from what
 * it will allocate (its sentence store, the probes' buffers), and a run that cannot fit is refused
 * with one line. Tasks run one after another and each releases its store before the next, so the
 * run needs the largest task's estimate on top of what the process already holds.
 */
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { bytesPerValue, type FeatureDtype } from '../features/dtype.js';
import type { TaskDefinition } from '../tasks/registry.js';
import type { TaskData } from '../tasks/types.js';
import { UserError } from '../util/errors.js';
import { EVAL_CHUNK } from '../probe/model.js';
import { DENSE_BIND_LIMIT } from '../probe/wasm/linear.js';

export interface TaskMemoryEstimate {
  readonly task: string;
  /** Store rows: distinct sentences, or occurrences for a batch-dependent encoder. */
  readonly rows: number;
  readonly storeBytes: number;
  /** Row indices, labels, per-worker kernel blocks and, for small dense tasks, their copies. */
  readonly probeBytes: number;
  readonly totalBytes: number;
}

// The probes' own sizes, so the estimate follows them: a worker's row block holds an evaluation
// chunk (the largest staged), and single-sentence features up to DENSE_BIND_LIMIT are copied whole
// (the shared copy plus one in each worker's kernel memory).
const BLOCK_ROWS = EVAL_CHUNK;
const DENSE_LIMIT = DENSE_BIND_LIMIT;

export function estimateTask(
  def: TaskDefinition,
  data: TaskData,
  dim: number,
  dtype: FeatureDtype,
  distinct: boolean,
  workers: number,
): TaskMemoryEstimate {
  let occurrences = 0;
  let examples = 0;
  const seen = new Set<string>();
  for (const split of Object.values(data.splits)) {
    examples += split.y.length;
    for (const side of split.b ? [split.a, split.b] : [split.a]) {
      occurrences += side.length;
      if (distinct) for (const s of side) seen.add(s.join('\u0001'));
    }
  }
  const rows = distinct ? seen.size : occurrences;
  const storeBytes = rows * dim * bytesPerValue(dtype);
  const blocks = def.features === 'nli' ? 4 : def.features === 'single' ? 1 : 2;
  const cols = dim * blocks;
  const denseBytes = examples * cols * 4;
  const copies = def.features === 'single' && denseBytes <= DENSE_LIMIT ? denseBytes * (1 + Math.max(workers, 1)) : 0;
  // Per example: two store row indices (4 B each), a label or score and Tai targets (≤ 48 B).
  const probeBytes = copies + examples * 56 + Math.max(workers, 1) * BLOCK_ROWS * cols * 4 * 2;
  return { task: def.id, rows, storeBytes, probeBytes, totalBytes: storeBytes + probeBytes };
}

/** Bytes this process can still take: MemAvailable, capped by a cgroup limit when one is set. */
export function availableBytes(): number {
  let avail = freemem();
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) avail = Number(m[1]) * 1024;
  } catch {
    // Not Linux: os.freemem() is the best there is.
  }
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (max !== 'max') {
      const used = Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim());
      avail = Math.min(avail, Number(max) - used);
    }
  } catch {
    // No cgroup v2 limit visible.
  }
  return avail;
}

export const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** Refuse, in one line, the first task whose estimate exceeds what is available. */
export function checkMemory(estimates: readonly TaskMemoryEstimate[], dim: number, dtype: FeatureDtype, available = availableBytes()): void {
  for (const e of estimates) {
    if (e.totalBytes <= available) continue;
    const remedy =
      dtype === 'float32'
        ? '; --feature-dtype float16 (or bfloat16) halves the store'
        : '; run this task on a machine with more memory';
    throw new UserError(
      `${e.task}: needs about ${gib(e.totalBytes)} (sentence store ${gib(e.storeBytes)}: ${e.rows.toLocaleString('en-US')} sentences × ${dim} ${dtype}; ` +
        `probe buffers ${gib(e.probeBytes)}) but ${gib(available)} is available${remedy}`,
    );
  }
}
