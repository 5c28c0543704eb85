/**
 * What the cache folder holds (`gensen-eval cache info`) and emptying it (`cache clear`). The
 * cache is derived data only (encoded sentences, the embedded vectors' decoded table), so clearing
 * it is safe; the next run re-encodes. Clearing removes only files the cache wrote (layout.ts).
 */
import { existsSync, lstatSync, readdirSync, realpathSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, parse, relative, resolve } from 'node:path';
import { parseTempName } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { processAlive } from '../util/lock.js';
import { CACHE_TAG, FEATURES_SUBDIR, isFeaturesDirName, isTopLevelCacheName } from './layout.js';

export interface CacheGroup {
  /** `features: bow-100d-b7fb5627`, `features: (older entries)`, or a top-level file's name. */
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
}

export interface CacheInfo {
  readonly dir: string;
  readonly exists: boolean;
  readonly groups: readonly CacheGroup[];
  readonly files: number;
  readonly bytes: number;
}

function walk(dir: string, visit: (path: string, size: number) => void): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else if (e.isFile()) visit(p, statSync(p).size);
  }
}

export function cacheInfo(dir: string): CacheInfo {
  if (!existsSync(dir)) return { dir, exists: false, groups: [], files: 0, bytes: 0 };
  const groups = new Map<string, { files: number; bytes: number }>();
  const add = (name: string, size: number): void => {
    const g = groups.get(name) ?? { files: 0, bytes: 0 };
    g.files++;
    g.bytes += size;
    groups.set(name, g);
  };
  const features = join(dir, 'features');
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (p === features && e.isDirectory()) {
      walk(features, (path, size) => {
        const base = path.slice(features.length + 1);
        // `<encoder label>.<sha256>.store`; files from before the label was added are a bare hash
        // (and `.f32` files an older format, no longer read).
        const m = /^([A-Za-z0-9_-]+)\.[0-9a-f]{64}\.store$/.exec(base);
        add(`features: ${m ? m[1] : '(older entries, no encoder label)'}`, size);
      });
    } else if (e.isDirectory()) {
      walk(p, (_path, size) => add(`${e.name}/`, size));
    } else if (e.isFile()) {
      add(e.name, statSync(p).size);
    }
  }
  const list = [...groups].map(([name, g]) => ({ name, ...g })).sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return { dir, exists: true, groups: list, files: list.reduce((s, g) => s + g.files, 0), bytes: list.reduce((s, g) => s + g.bytes, 0) };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatCacheInfo(info: CacheInfo): string {
  if (!info.exists) return `cache folder: ${info.dir} (does not exist: nothing cached)\n`;
  const rows = [
    ['entry', 'files', 'size'],
    ...info.groups.map((g) => [g.name, String(g.files), formatBytes(g.bytes)]),
    ['total', String(info.files), formatBytes(info.bytes)],
  ];
  const w = [0, 1, 2].map((j) => Math.max(...rows.map((r) => r[j]!.length)));
  const lines = rows.map((r) => `${r[0]!.padEnd(w[0]!)}  ${r[1]!.padStart(w[1]!)}  ${r[2]!.padStart(w[2]!)}`);
  return [`cache folder: ${info.dir}`, ...lines].join('\n') + '\n';
}

export interface ClearOutcome {
  readonly dir: string;
  readonly exists: boolean;
  /** Files removed, and their bytes. */
  readonly files: number;
  readonly bytes: number;
  /** Entries left because the cache did not write them (a folder shared with other files). */
  readonly kept: readonly string[];
  /** Cache writes in progress in another live process (another run's temp files), left alone. */
  readonly inUse: number;
}

/** `dir` equals `other` or lies above it (`/`, `$HOME`'s parents). */
function isSelfOrAncestor(dir: string, other: string): boolean {
  const rel = relative(dir, other);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/**
 * Removes what the cache wrote (see layout.ts) and nothing else. The cache folder is a setting, so
 * it may name a folder that is not a cache: `/`, the home folder, the working directory and the
 * folders above them are refused outright, and a folder without the cache's tag that holds anything
 * else is refused, in one line, before anything is removed. `from` says where the setting came from.
 */
export function clearCache(dir: string, from = 'the cache setting'): ClearOutcome {
  const abs = real(dir);
  const guarded: [string, string][] = [
    [real(process.cwd()), 'the working directory'],
    [real(homedir()), 'your home folder'],
  ];
  for (const [g, what] of guarded) {
    if (isSelfOrAncestor(abs, g)) {
      const is = abs === g ? `is ${what}` : abs === parse(abs).root ? 'is the file-system root' : `contains ${what}`;
      throw new UserError(`cache clear: ${dir} (from ${from}) ${is}; refusing to clear it: point the cache at a folder of its own`);
    }
  }
  if (!existsSync(abs)) return { dir, exists: false, files: 0, bytes: 0, kept: [], inUse: 0 };
  if (!statSync(abs).isDirectory()) throw new UserError(`cache clear: ${dir} (from ${from}) is not a folder; nothing removed`);
  const remove: { path: string; size: number }[] = [];
  const kept: string[] = [];
  let inUse = 0;
  // A temp file of a live process is another run writing an entry now: removing it would fail
  // that run's rename. Left alone, as the sweep of stale temps leaves it (layout.ts).
  const live = (name: string): boolean => {
    const t = parseTempName(name);
    return t !== undefined && t.pid !== process.pid && processAlive(t.pid);
  };
  const features = join(abs, FEATURES_SUBDIR);
  const plainFile = (p: string): number | undefined => {
    const st = lstatSync(p);
    return st.isFile() ? st.size : undefined;
  };
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (name === FEATURES_SUBDIR && lstatSync(p).isDirectory()) {
      for (const f of readdirSync(features)) {
        const size = isFeaturesDirName(f) ? plainFile(join(features, f)) : undefined;
        if (size !== undefined && live(f)) inUse++;
        else if (size === undefined) kept.push(`${FEATURES_SUBDIR}/${f}`);
        else remove.push({ path: join(features, f), size });
      }
      continue;
    }
    const size = isTopLevelCacheName(name) ? plainFile(p) : undefined;
    if (size !== undefined && live(name)) inUse++;
    else if (size === undefined) kept.push(name);
    else remove.push({ path: p, size });
  }
  if (kept.length > 0 && !existsSync(join(abs, CACHE_TAG))) {
    throw new UserError(
      `cache clear: ${dir} (from ${from}) is not a gensen-eval cache folder (no ${CACHE_TAG}, and it holds ${kept.length} other ${kept.length === 1 ? 'entry' : 'entries'}, e.g. '${kept[0]}'); nothing removed`,
    );
  }
  for (const r of remove) rmSync(r.path, { force: true });
  try {
    if (existsSync(features) && readdirSync(features).length === 0) rmdirSync(features);
  } catch {
    // left as it is: an empty folder is harmless
  }
  return { dir, exists: true, files: remove.length, bytes: remove.reduce((s, r) => s + r.size, 0), kept, inUse };
}
