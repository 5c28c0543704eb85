/**
 * What the cache folder holds (`gensen-eval cache info`) and emptying it (`cache clear`). The
 * cache is derived data only (encoded sentences, the embedded vectors' decoded table), so clearing
 * is always safe; the next run re-encodes.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
  const rows = [['entry', 'files', 'size'], ...info.groups.map((g) => [g.name, String(g.files), formatBytes(g.bytes)]), ['total', String(info.files), formatBytes(info.bytes)]];
  const w = [0, 1, 2].map((j) => Math.max(...rows.map((r) => r[j]!.length)));
  const lines = rows.map((r) => `${r[0]!.padEnd(w[0]!)}  ${r[1]!.padStart(w[1]!)}  ${r[2]!.padStart(w[2]!)}`);
  return [`cache folder: ${info.dir}`, ...lines].join('\n') + '\n';
}

/** Removes the cache folder's contents (never the folder's parent); returns what was removed. */
export function clearCache(dir: string): CacheInfo {
  const before = cacheInfo(dir);
  if (before.exists) for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
  return before;
}
