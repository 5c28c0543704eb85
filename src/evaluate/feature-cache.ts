import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EncoderIdentity } from '../encoders/types.js';
import { bytesPerValue, FEATURE_DTYPES, type FeatureDtype } from '../features/dtype.js';
import { SentenceStore } from '../features/store.js';
import { removeQuietly, tempPathFor } from '../util/atomic-write.js';
import { featureEntryName, FEATURES_SUBDIR, isFeaturesDirName, sweepStaleTemps, tagCacheDir } from '../cache/layout.js';
import { cacheDir } from '../util/cache-dir.js';
import { canonicalJson } from '../util/hash.js';
import { systemReason } from '../util/errors.js';
import { checkWriteFault } from '../util/fault-injection.js';
import { sentenceKey } from './task-store.js';

const MAGIC = 0x31534546; // 'FES1'
const HEADER = 48; // magic, rows, dim, dtype (4 bytes each), then 32 bytes sha256 of the values

/** Bytes moved per read/write call: large stores go to and from disk in pieces. */
const IO_BLOCK = 64 * 2 ** 20;

/** A file-name-safe label of an encoder: `bow-100d-b7fb5627`. */
export function encoderLabel(identity: EncoderIdentity): string {
  const parts = [identity.name, identity.dim ? `${identity.dim}d` : '', identity.weightsHash.slice(0, 8)].filter(Boolean);
  return parts.join('-').replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * On-disk cache of task sentence stores, keyed by the encoder identity, its per-task state, the
 * batch size (unless the encoder declares its vectors batch-independent), the storage type and the
 * rows' sentences in order. A re-run with other probe settings therefore never re-encodes. Each
 * entry carries a sha256 of its values, verified on read: a damaged entry is reported and
 * recomputed, never used.
 */
export class FeatureCache {
  readonly dir: string;
  /** Set after a write failed (full disk, the cache path is a file): one warning, then no cache. */
  private disabled = false;
  /** Temp files of killed writers are swept once per process, on first use. */
  private swept = false;

  constructor(
    dir = join(cacheDir(), FEATURES_SUBDIR),
    private readonly warn: (msg: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
  ) {
    this.dir = dir;
  }

  /**
   * `<encoder label>.<sha256>`: the label (encoder name, dimension, first weights-hash digits) only
   * groups the files for `gensen-eval cache info`; the hash is what identifies the entry.
   */
  storeKey(identity: EncoderIdentity, taskState: string, batchSize: number | undefined, dtype: FeatureDtype, rows: readonly (readonly string[])[]): string {
    const h = createHash('sha256');
    h.update(canonicalJson({ identity, taskState, batchSize: batchSize ?? 'independent', dtype, format: 2 }));
    for (const s of rows) {
      h.update('\u0002');
      h.update(sentenceKey(s));
    }
    return `${encoderLabel(identity)}.${h.digest('hex')}`;
  }

  private path(key: string): string {
    if (!this.swept) {
      this.swept = true;
      sweepStaleTemps(this.dir, isFeaturesDirName);
    }
    return join(this.dir, featureEntryName(key));
  }

  /** The cached store, or undefined when absent, of another shape, or damaged (then with a warning). */
  getStore(key: string, rows: number, dim: number, dtype: FeatureDtype): SentenceStore | undefined {
    if (this.disabled) return undefined;
    const path = this.path(key);
    if (!existsSync(path)) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const head = Buffer.alloc(HEADER);
      const size = fstatSync(fd).size;
      if (readSync(fd, head, 0, HEADER, 0) !== HEADER || head.readUInt32LE(0) !== MAGIC) return this.bad(path, 'not a feature-cache entry');
      const [r, d, t] = [head.readUInt32LE(4), head.readUInt32LE(8), head.readUInt32LE(12)];
      if (r !== rows || d !== dim || FEATURE_DTYPES[t] !== dtype)
        return this.bad(path, `holds ${r}x${d} ${FEATURE_DTYPES[t] ?? '?'}, expected ${rows}x${dim} ${dtype}`);
      const bytes = rows * dim * bytesPerValue(dtype);
      if (size !== HEADER + bytes) return this.bad(path, `is ${size} bytes, expected ${HEADER + bytes} (truncated?)`);
      const store = SentenceStore.create(rows, dim, dtype);
      const hash = createHash('sha256');
      let at = HEADER;
      for (const chunk of store.payload.chunks) {
        const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        for (let o = 0; o < view.length; ) {
          const n = readSync(fd, view, o, Math.min(IO_BLOCK, view.length - o), at);
          if (n <= 0) return this.bad(path, 'ended early');
          hash.update(view.subarray(o, o + n));
          o += n;
          at += n;
        }
      }
      if (!hash.digest().equals(head.subarray(16, 48))) return this.bad(path, 'checksum mismatch (the file was changed or damaged)');
      return store;
    } catch (e) {
      return this.bad(path, `cannot be read (${(e as Error).message})`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Write a store (atomically: a temp file renamed over the entry); a failure only warns. */
  putStore(key: string, store: SentenceStore): void {
    if (this.disabled) return;
    const path = this.path(key);
    const tmp = tempPathFor(path);
    let fd: number | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      if (basename(this.dir) === FEATURES_SUBDIR) tagCacheDir(dirname(this.dir));
      const hash = createHash('sha256');
      for (const c of store.payload.chunks) hash.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      const head = Buffer.alloc(HEADER);
      head.writeUInt32LE(MAGIC, 0);
      head.writeUInt32LE(store.rows, 4);
      head.writeUInt32LE(store.dim, 8);
      head.writeUInt32LE(FEATURE_DTYPES.indexOf(store.dtype), 12);
      hash.digest().copy(head, 16);
      checkWriteFault(path);
      fd = openSync(tmp, 'w');
      writeSync(fd, head);
      for (const c of store.payload.chunks) {
        const view = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
        for (let o = 0; o < view.length; ) o += writeSync(fd, view, o, Math.min(IO_BLOCK, view.length - o));
      }
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, path);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      removeQuietly(tmp);
      this.disabled = true;
      this.warn(`feature cache: cannot write ${path} (${systemReason(e)}); continuing without the cache`);
    }
  }

  private bad(path: string, why: string): undefined {
    this.warn(`feature cache: ${path} ${why}; encoding again`);
    try {
      rmSync(path, { force: true });
    } catch {
      // not a file (a directory in its place): left alone; writing the entry will then fail once
    }
    return undefined;
  }
}
