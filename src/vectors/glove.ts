/**
 * Word vectors for vocabulary expansion: GloVe text (`.txt`, `.txt.gz`), the HDF5 file written by
 * GenSen's converter (datasets `embedding` [N, d] float32 and `words_flatten`, the words joined by
 * '\n'), or the embedded 100-d vectors. Full GloVe 840B is 2.2 M words × 300 (5.6 GB of text), so
 * files are streamed and only the words a run needs are kept.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { WordVectorTable } from './embedded.js';
import { UserError } from '../util/errors.js';
import { isPySpace, pySplit } from '../util/pystr.js';

/** A subset of word vectors: the words a run needs. */
export interface WordVectorSubset extends WordVectorTable {
  /** Text lines whose value count differed from the dimension (GloVe entries containing spaces). */
  readonly skippedLines: number;
}

export interface GloveProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly kept: number;
}

export interface LoadVectorsOptions {
  /** Which words to keep (exact, case-sensitive). */
  readonly keep: (word: string) => boolean;
  readonly onProgress?: (p: GloveProgress) => void;
}

class SubsetBuilder {
  private readonly chunks: Float32Array[] = [];
  readonly words: string[] = [];
  readonly index = new Map<string, number>();
  dim = -1;
  skipped = 0;

  add(word: string, values: ArrayLike<number>): void {
    // Last occurrence wins, as a Python dict built over the file would have it.
    const existing = this.index.get(word);
    const v = Float32Array.from(values);
    if (existing !== undefined) {
      this.chunks[existing] = v;
      return;
    }
    this.index.set(word, this.words.length);
    this.words.push(word);
    this.chunks.push(v);
  }

  finish(source: string): WordVectorSubset {
    const dim = Math.max(this.dim, 0);
    const vectors = new Float32Array(this.words.length * dim);
    this.chunks.forEach((c, i) => vectors.set(c, i * dim));
    return { words: this.words, dim, vectors, index: this.index, source, skippedLines: this.skipped };
  }
}

/** The first whitespace-separated field of a line, by Python's whitespace rules. */
function firstField(line: string): string {
  let a = 0;
  while (a < line.length && isPySpace(line.charCodeAt(a))) a++;
  let b = a;
  while (b < line.length && !isPySpace(line.charCodeAt(b))) b++;
  return line.slice(a, b);
}

async function loadText(path: string, opts: LoadVectorsOptions): Promise<WordVectorSubset> {
  const totalBytes = statSync(path).size;
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytesRead = 0;
  raw.on('data', (c) => {
    bytesRead += c.length;
  });
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const b = new SubsetBuilder();
  let lineNo = 0;
  let lastReport = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (opts.onProgress && bytesRead - lastReport > 64 << 20) {
        lastReport = bytesRead;
        opts.onProgress({ bytesRead, totalBytes, kept: b.words.length });
      }
      const word = firstField(line);
      if (word === '') continue;
      // The dimension comes from the first line, whether or not its word is kept.
      if (b.dim < 0 || opts.keep(word)) {
        const parts = pySplit(line);
        const values = parts.slice(1).map(Number);
        if (b.dim < 0) {
          if (values.length === 0) throw new UserError(`${path}:${lineNo}: expected 'word v1 ... vd', got a single field`);
          b.dim = values.length;
        }
        if (values.length !== b.dim) {
          b.skipped++;
          continue;
        }
        if (values.some((v) => Number.isNaN(v))) throw new UserError(`${path}:${lineNo}: expected ${b.dim} numbers after the word`);
        if (opts.keep(word)) b.add(word, values);
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: cannot read word vectors (${(e as Error).message})`);
  }
  opts.onProgress?.({ bytesRead: totalBytes, totalBytes, kept: b.words.length });
  return b.finish(path);
}

function wordsFromH5Value(v: unknown, path: string): string[] {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') s = v[0];
  else if (v instanceof Uint8Array) s = new TextDecoder().decode(v);
  else throw new UserError(`${path}: dataset 'words_flatten' should hold one string (the words joined by newlines)`);
  return s.split('\n');
}

async function loadHdf5(path: string, opts: LoadVectorsOptions): Promise<WordVectorSubset> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let file;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (e) {
    throw new UserError(`${path}: not a readable HDF5 file (${(e as Error).message})`);
  }
  try {
    const emb = file.get('embedding');
    const wf = file.get('words_flatten');
    if (!(emb instanceof h5wasm.Dataset) || !(wf instanceof h5wasm.Dataset)) {
      throw new UserError(`${path}: expected datasets 'embedding' and 'words_flatten' (GenSen's GloVe HDF5 layout)`);
    }
    const shape = emb.shape;
    if (!shape || shape.length !== 2) throw new UserError(`${path}: dataset 'embedding' should be 2-D [words, dim]`);
    const [n, dim] = shape as [number, number];
    const words = wordsFromH5Value(wf.value, path);
    if (words.length < n) throw new UserError(`${path}: 'words_flatten' has ${words.length} words for ${n} embedding rows`);
    const b = new SubsetBuilder();
    b.dim = dim;
    const wanted: number[] = [];
    for (let i = 0; i < n; i++) if (opts.keep(words[i]!)) wanted.push(i);
    const CHUNK = 8192;
    let w = 0;
    for (let start = 0; start < n && w < wanted.length; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      if (wanted[w]! >= end) continue;
      const block = emb.slice([[start, end], []]);
      if (!(block instanceof Float32Array) && !(block instanceof Float64Array)) {
        throw new UserError(`${path}: dataset 'embedding' should hold floats`);
      }
      while (w < wanted.length && wanted[w]! < end) {
        const i = wanted[w]!;
        b.add(words[i]!, block.subarray((i - start) * dim, (i - start + 1) * dim));
        w++;
      }
      opts.onProgress?.({ bytesRead: end, totalBytes: n, kept: b.words.length });
    }
    return b.finish(path);
  } finally {
    file.close();
  }
}

/** Loads the kept words of a GloVe text/gzip/HDF5 file. */
export async function loadWordVectors(path: string, opts: LoadVectorsOptions): Promise<WordVectorSubset> {
  if (!existsSync(path)) throw new UserError(`word vectors file not found: ${path} (expected GloVe .txt, .txt.gz or GenSen's .h5)`);
  if (/\.(h5|hdf5)$/i.test(path)) return loadHdf5(path, opts);
  return loadText(path, opts);
}
