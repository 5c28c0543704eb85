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
import { quoted } from '../formats/pickle.js';

/** A subset of word vectors: the words a run needs. */
export interface WordVectorSubset extends WordVectorTable {
  /** Text lines whose value count differed from the dimension (GloVe entries containing spaces). */
  readonly skippedLines: number;
  /** What a user should know about how the file was read (words not valid UTF-8); absent or empty when nothing. */
  readonly notes?: readonly string[];
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

  finish(source: string, notes: readonly string[] = []): WordVectorSubset {
    const dim = Math.max(this.dim, 0);
    const vectors = new Float32Array(this.words.length * dim);
    this.chunks.forEach((c, i) => vectors.set(c, i * dim));
    return { words: this.words, dim, vectors, index: this.index, source, skippedLines: this.skipped, notes };
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

/**
 * Windows-1252's code points for bytes 0x80-0x9F: h5wasm decodes a fixed-length ASCII string with
 * TextDecoder('ascii'), which is windows-1252 (a variable-length one byte per char, as latin-1).
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d,
  0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const CP1252_BYTE = new Map(CP1252_HIGH.map((cp, i) => [cp, 0x80 + i] as const));

/** The bytes h5wasm decoded one char per byte (latin-1, or windows-1252 for fixed-length strings). */
function bytesOfAsciiString(s: string, path: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c < 0x100 ? c : CP1252_BYTE.get(c);
    if (b === undefined)
      throw new UserError(`${path}: 'words_flatten' holds character U+${c.toString(16).toUpperCase().padStart(4, '0')}, which no single byte decodes to`);
    out[i] = b;
  }
  return out;
}

interface H5Words {
  readonly words: string[];
  /** Rows whose word is left out: a latin-1 reading that spells a word the file also holds in UTF-8. */
  readonly shadowed: ReadonlySet<number>;
  readonly note?: string;
}

/**
 * GenSen's words as the original compares them: byte strings of UTF-8. A word that is not valid
 * UTF-8 is read as latin-1 and named in a note (as vocabulary words are); where that reading equals
 * a UTF-8 word of the file, the original would still tell the two apart by their bytes, so the
 * latin-1 one is left out rather than merged.
 */
function decodeWords(bytes: Uint8Array, path: string): H5Words {
  // ignoreBOM: a leading U+FEFF is part of the first word, as Python's bytes.split keeps it.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return { words: utf8.decode(bytes).split('\n'), shadowed: new Set() };
  } catch {
    // Some word is not UTF-8: decode word by word.
  }
  const words: string[] = [];
  const latin1: number[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const seg = bytes.subarray(start, i);
    try {
      words.push(utf8.decode(seg));
    } catch {
      latin1.push(words.length);
      words.push(Buffer.from(seg).toString('latin1'));
    }
    start = i + 1;
  }
  const fallback = new Set(latin1);
  const valid = new Set(words.filter((_, i) => !fallback.has(i)));
  const shadowed = new Set(latin1.filter((i) => valid.has(words[i]!)));
  const names = latin1.map((i) => quoted(words[i]!));
  const n = latin1.length;
  const note =
    `${path}: ${n} word${n === 1 ? '' : 's'} of 'words_flatten' ${n === 1 ? 'is' : 'are'} not valid UTF-8 and ${n === 1 ? 'was' : 'were'} read as latin-1 ` +
    `(${names.slice(0, 10).join(', ')}${n > 10 ? `, ... ${n - 10} more` : ''})` +
    (shadowed.size > 0
      ? `; ${shadowed.size} of them spell${shadowed.size === 1 ? 's' : ''} a word the file also holds in UTF-8 and ${shadowed.size === 1 ? 'is' : 'are'} left out (the original tells them apart by their bytes)`
      : '');
  return { words, shadowed, note };
}

function wordsFromH5(wf: { value: unknown; metadata: { cset?: number } }, path: string): H5Words {
  const v = wf.value;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') s = v[0];
  else if (v instanceof Uint8Array) return decodeWords(v, path);
  else throw new UserError(`${path}: dataset 'words_flatten' should hold one string (the words joined by newlines)`);
  // GenSen's converter (glove2h5.py, Python 2 h5py) stores a byte string of UTF-8 under HDF5's
  // ASCII character set: its bytes are taken back and decoded as UTF-8. A string stored as UTF-8
  // (Python 3 h5py given a str) h5wasm has already decoded.
  if (wf.metadata.cset === 1) return { words: s.split('\n'), shadowed: new Set() };
  return decodeWords(bytesOfAsciiString(s, path), path);
}

async function loadHdf5(path: string, opts: LoadVectorsOptions): Promise<WordVectorSubset> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let file: InstanceType<typeof h5wasm.File>;
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
    if (shape?.length !== 2) throw new UserError(`${path}: dataset 'embedding' should be 2-D [words, dim]`);
    const [n, dim] = shape as [number, number];
    const { words, shadowed, note } = wordsFromH5(wf, path);
    if (words.length < n) throw new UserError(`${path}: 'words_flatten' has ${words.length} words for ${n} embedding rows`);
    const b = new SubsetBuilder();
    b.dim = dim;
    const wanted: number[] = [];
    for (let i = 0; i < n; i++) if (!shadowed.has(i) && opts.keep(words[i]!)) wanted.push(i);
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
    return b.finish(path, note ? [note] : []);
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
