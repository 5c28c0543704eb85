/**
 * Memory is a requirement like time: before any encoding, each task's peak is estimated from what
 * it will allocate (its sentence store, the probes' buffers), and a run that cannot fit is refused
 * with one line. Tasks run one after another and each releases its store before the next, so the
 * run needs the largest task's estimate on top of what the process already holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { dirname, join } from 'node:path';
import { protocolDefinition } from '../protocol/registry.js';
import { systemRoot } from '../util/fault-injection.js';
import { bytesPerValue, type FeatureDtype } from '../features/dtype.js';
import type { TaskDefinition } from '../tasks/registry.js';
import type { TaskData } from '../tasks/types.js';
import { UserError } from '../util/errors.js';
import { EVAL_CHUNK, paramCount } from '../probe/model.js';
import { L2_GRID } from '../protocol/engines.js';
import { lockstepSupported } from '../probe/lockstep.js';
import { copiedWhole } from '../probe/wasm/linear.js';
import { blocksOf } from '../features/source.js';
import { sentenceKey } from './task-store.js';

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
// chunk (the largest staged), and features small enough (copiedWhole) are copied whole (the shared
// copy plus one in each worker's kernel memory).
const BLOCK_ROWS = EVAL_CHUNK;
// A worker trains an L2 grid fold's members in lockstep where lockstepSupported says so (the
// logistic probe), else one probe at a time (the MLP); each probe holds float64 parameters,
// gradient, two optimizer moments, the best parameters so far and the initial ones: small for a
// linear probe, 39 MB for an MLP of 50 units on 16,384-d pair features.
const PROBE_VECTORS = 6;

export function estimateTask(
  def: TaskDefinition,
  data: TaskData,
  dim: number,
  dtype: FeatureDtype,
  distinct: boolean,
  workers: number,
  nhid: number,
): TaskMemoryEstimate {
  let occurrences = 0;
  let examples = 0;
  const seen = new Set<string>();
  for (const split of Object.values(data.splits)) {
    examples += split.y.length;
    for (const side of split.b ? [split.a, split.b] : [split.a]) {
      occurrences += side.length;
      if (distinct) for (const s of side) seen.add(sentenceKey(s));
    }
  }
  const rows = distinct ? seen.size : occurrences;
  const storeBytes = rows * dim * bytesPerValue(dtype);
  const cols = dim * blocksOf(def.features);
  const denseBytes = examples * cols * 4;
  const copies = copiedWhole(def.features, denseBytes) ? denseBytes * (1 + Math.max(workers, 1)) : 0;
  // Per example: two store row indices (4 B each), a label or score and Tai targets (≤ 48 B). A
  // protocol that trains no probes (unsupervised STS scores cosines of store rows) has none of these.
  const probes =
    (lockstepSupported({ nhid }) ? L2_GRID.length : 1) * PROBE_VECTORS * 8 * paramCount({ inputDim: cols, nhid, nclasses: def.nclasses, dropout: 0 });
  const perWorker = BLOCK_ROWS * cols * 4 * 2 + probes;
  const probeBytes = protocolDefinition(def.protocol).trainsProbes ? copies + examples * 56 + Math.max(workers, 1) * perWorker : 0;
  return { task: def.id, rows, storeBytes, probeBytes, totalBytes: storeBytes + probeBytes };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A cgroup memory hierarchy this process is in: where it is mounted, and the process's folder in it. */
interface CgroupMemory {
  readonly version: 1 | 2;
  readonly mount: string;
  readonly dir: string;
}

/**
 * The memory cgroups of this process, from /proc/self/cgroup and /proc/self/mountinfo: the unified
 * (v2) hierarchy and a v1 `memory` hierarchy, whichever are mounted (hybrid hosts have both).
 */
function memoryCgroups(root: string): CgroupMemory[] {
  const cgroup = readText(join(root, 'proc/self/cgroup'));
  const mountinfo = readText(join(root, 'proc/self/mountinfo'));
  if (!cgroup || !mountinfo) return [];
  const mounts = mountinfo.split('\n').flatMap((line) => {
    // id parent dev root mountpoint options [optional...] - fstype source superoptions
    const [pre, post] = line.split(' - ');
    const f = pre?.split(' ');
    const g = post?.split(' ');
    if (!f || !g || f.length < 5 || g.length < 3) return [];
    return [{ root: f[3]!, point: f[4]!, fstype: g[0]!, opts: `${f[5] ?? ''},${g[2]!}`.split(',') }];
  });
  const out: CgroupMemory[] = [];
  for (const line of cgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const v2 = m[1] === '0' && m[2] === '';
    if (!v2 && !m[2]!.split(',').includes('memory')) continue;
    const mount = mounts.find((x) => (v2 ? x.fstype === 'cgroup2' : x.fstype === 'cgroup' && x.opts.includes('memory')));
    if (!mount) continue;
    // The path is relative to the hierarchy's root; the mount may show only a part of it.
    const path = m[3]!;
    const rel = mount.root !== '/' && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
    const point = join(root, mount.point);
    let dir = join(point, rel);
    while (dir.length > point.length && !existsSync(dir)) dir = dirname(dir);
    out.push({ version: v2 ? 2 : 1, mount: point, dir });
  }
  return out;
}

/** v1 reports "no limit" as a page-rounded 2^63 − 1. */
const NO_LIMIT = 2 ** 60;

/**
 * Bytes a cgroup level still allows: its limit less what it uses, not counting inactive page cache
 * (the kernel reclaims that before it refuses memory); undefined where no limit is set.
 */
function cgroupRoom(c: CgroupMemory, dir: string): number | undefined {
  const [limitFile, usageFile, inactiveKey] =
    c.version === 2 ? ['memory.max', 'memory.current', 'inactive_file'] : ['memory.limit_in_bytes', 'memory.usage_in_bytes', 'total_inactive_file'];
  const limitText = readText(join(dir, limitFile))?.trim();
  if (limitText === undefined || limitText === 'max') return undefined;
  const limit = Number(limitText);
  if (!Number.isFinite(limit) || limit >= NO_LIMIT) return undefined;
  const used = Number(readText(join(dir, usageFile))?.trim() ?? 0);
  const inactive = Number(new RegExp(`^${inactiveKey} (\\d+)$`, 'm').exec(readText(join(dir, 'memory.stat')) ?? '')?.[1] ?? 0);
  return limit - Math.max(0, (Number.isFinite(used) ? used : 0) - inactive);
}

/**
 * Bytes this process can still take: MemAvailable, capped by every memory cgroup limit on the way
 * from the process's cgroup up to its hierarchy's root (cgroup v2 and v1 alike). `root` is `/`
 * except in tests, which point it at a fake tree (GENSEN_EVAL_TEST_SYSROOT).
 */
export function availableBytes(root = systemRoot()): number {
  let avail = freemem();
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readText(join(root, 'proc/meminfo')) ?? '');
  if (m) avail = Number(m[1]) * 1024;
  for (const c of memoryCgroups(root)) {
    for (let dir = c.dir; ; dir = dirname(dir)) {
      const room = cgroupRoom(c, dir);
      if (room !== undefined) avail = Math.min(avail, room);
      if (dir.length <= c.mount.length) break;
    }
  }
  return Math.max(0, avail);
}

export const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** Refuse, in one line, the first task whose estimate exceeds what is available. */
export function checkMemory(estimates: readonly TaskMemoryEstimate[], dim: number, dtype: FeatureDtype, available = availableBytes()): void {
  for (const e of estimates) {
    if (e.totalBytes <= available) continue;
    const remedy = dtype === 'float32' ? '; --feature-dtype float16 (or bfloat16) halves the store' : '; run this task on a machine with more memory';
    throw new UserError(
      `${e.task}: needs about ${gib(e.totalBytes)} (sentence store ${gib(e.storeBytes)}: ${e.rows.toLocaleString('en-US')} sentences × ${dim} ${dtype}; ` +
        `probe buffers ${gib(e.probeBytes)}) but ${gib(available)} is available${remedy}`,
    );
  }
}
