/**
 * Writes a synthetic GenSen model pair in the released files' layout (`<prefix>.model`: PyTorch 0.3's
 * legacy serialization as Python 2 wrote it, storages on `cuda:0`; `<prefix>_vocab.pkl`: the
 * `{'word2id', 'id2word'}` dict), for benchmarks at full size without the 400 MB downloads. The
 * weights are test/helpers/synthetic-gensen's (seeded uniform); the vocabulary is the specials then
 * the first ASCII words of the embedded 100-d vectors, so task words meet the model's own rows about
 * as often as with a real vocabulary. Never committed: written to a temp or cache folder.
 * Run: node dist/scripts/make-gensen-models.js --out DIR [--vocab 80004 --emb 512 --hidden 1024 --layers 1]
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { loadEmbeddedVectors } from '../src/vectors/embedded.js';
import { FULL, syntheticGensen, type SyntheticShape } from '../test/helpers/synthetic-gensen.js';

export const SYNTHETIC_PREFIXES = ['synthetic_a', 'synthetic_b'] as const;

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Python 2's protocol-2 pickle opcodes for the few value shapes a checkpoint and a vocabulary need. */
class Py2Pickle {
  private readonly parts: Buffer[] = [];

  static dump(write: (p: Py2Pickle) => void): Buffer {
    const p = new Py2Pickle();
    p.raw([0x80, 2]);
    write(p);
    p.raw([0x2e]); // STOP
    return Buffer.concat(p.parts);
  }

  raw(bytes: readonly number[] | Buffer): void {
    this.parts.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  int(v: number): void {
    if (v >= 0 && v < 256)
      this.raw([0x4b, v]); // BININT1
    else if (v >= 0 && v < 65536)
      this.raw([0x4d, v & 0xff, v >> 8]); // BININT2
    else {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(v, 1);
      this.raw(b);
    }
  }

  /** LONG1, as Python 2 pickled a `long`. */
  long(v: bigint): void {
    const bytes: number[] = [];
    let x = v;
    while (x > 0n) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if ((bytes.at(-1) ?? 0) & 0x80) bytes.push(0);
    this.raw([0x8a, bytes.length, ...bytes]);
  }

  /** A Python 2 byte string (SHORT_BINSTRING / BINSTRING). */
  str(s: string): void {
    const data = Buffer.from(s, 'latin1');
    if (data.length < 256) this.raw([0x55, data.length]);
    else {
      const h = Buffer.alloc(5);
      h[0] = 0x54;
      h.writeInt32LE(data.length, 1);
      this.raw(h);
    }
    this.raw(data);
  }

  none(): void {
    this.raw([0x4e]);
  }

  global(module: string, name: string): void {
    this.raw(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }

  tuple(items: readonly (() => void)[]): void {
    if (items.length === 0) {
      this.raw([0x29]);
      return;
    }
    if (items.length > 3) this.raw([0x28]); // MARK
    for (const f of items) f();
    this.raw(items.length > 3 ? [0x74] : [0x84 + items.length]);
  }

  /** A dict of the given pairs, SETITEMS in batches of 1000 as pickle.py does. */
  dict<K, V>(pairs: readonly (readonly [K, V])[], key: (k: K) => void, value: (v: V) => void): void {
    this.raw([0x7d]); // EMPTY_DICT
    for (let i = 0; i < pairs.length; i += 1000) {
      const chunk = pairs.slice(i, i + 1000);
      if (chunk.length > 1) this.raw([0x28]);
      for (const [k, v] of chunk) {
        key(k);
        value(v);
      }
      this.raw(chunk.length > 1 ? [0x75] : [0x73]);
    }
  }

  list(items: readonly (() => void)[]): void {
    this.raw([0x5d]); // EMPTY_LIST
    for (let i = 0; i < items.length; i += 1000) {
      const chunk = items.slice(i, i + 1000);
      if (chunk.length > 1) this.raw([0x28]);
      for (const f of chunk) f();
      this.raw(chunk.length > 1 ? [0x65] : [0x61]); // APPENDS / APPEND
    }
  }
}

/** `<path>`: the torch 0.3 / Python 2 legacy checkpoint of the given tensors, one storage each. */
function writeLegacyCheckpoint(path: string, tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
  const entries = [...tensors.entries()];
  const head = [
    Py2Pickle.dump((p) => p.long(LEGACY_MAGIC)),
    Py2Pickle.dump((p) => p.int(1001)),
    Py2Pickle.dump((p) =>
      p.dict(
        [
          ['protocol_version', () => p.int(1001)],
          ['little_endian', () => p.raw([0x88])],
          [
            'type_sizes',
            () =>
              p.dict(
                [
                  ['short', 2],
                  ['int', 4],
                  ['long', 8],
                ] as const,
                (k) => p.str(k),
                (n) => p.int(n),
              ),
          ],
        ] as const,
        (k) => p.str(k),
        (v) => v(),
      ),
    ),
    Py2Pickle.dump((p) => {
      p.global('collections', 'OrderedDict');
      p.tuple([
        () =>
          p.list(
            entries.map(([name, t], i) => () => {
              p.list([
                () => p.str(name),
                () => {
                  p.global('torch._utils', '_rebuild_tensor');
                  const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
                  p.tuple([
                    () => {
                      p.tuple([
                        () => p.str('storage'),
                        () => p.global('torch', 'FloatStorage'),
                        () => p.str(String(i)),
                        () => p.str('cuda:0'),
                        () => p.int(t.data.length),
                        () => p.none(),
                      ]);
                      p.raw([0x51]); // BINPERSID
                    },
                    () => p.int(0),
                    () => p.tuple(t.shape.map((n) => () => p.int(n))),
                    () => p.tuple(stride.map((n) => () => p.int(n))),
                  ]);
                  p.raw([0x52]); // REDUCE
                },
              ]);
            }),
          ),
      ]);
      p.raw([0x52]);
    }),
    Py2Pickle.dump((p) => p.list(entries.map((_, i) => () => p.str(String(i))))),
  ];
  const fd = openSync(path, 'w');
  try {
    for (const h of head) writeSync(fd, h);
    for (const [, t] of entries) {
      const n = Buffer.alloc(8);
      n.writeBigInt64LE(BigInt(t.data.length));
      writeSync(fd, n);
      writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}

function writeVocab(path: string, words: readonly string[]): void {
  const data = Py2Pickle.dump((p) =>
    p.dict(
      [
        ['word2id', 0],
        ['id2word', 1],
      ] as const,
      (k) => p.str(k),
      (which) =>
        which === 0
          ? p.dict(
              words.map((w, i) => [w, i] as const),
              (w) => p.str(w),
              (i) => p.int(i),
            )
          : p.dict(
              words.map((w, i) => [i, w] as const),
              (i) => p.int(i),
              (w) => p.str(w),
            ),
    ),
  );
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** The model's words: GenSen's four specials, then embedded-vector words (printable ASCII, no duplicates). */
function vocabulary(size: number): string[] {
  const words = ['<s>', '<pad>', '</s>', '<unk>'];
  const seen = new Set(words);
  for (const w of loadEmbeddedVectors().words) {
    if (words.length >= size) break;
    if (/^[\x21-\x7e]+$/.test(w) && !seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  for (let i = words.length; i < size; i++) words.push(`w${i}`);
  return words;
}

/** Writes the pair under `dir` (created); returns the prefixes, in order. */
export function makeGensenModels(dir: string, shape: SyntheticShape = { ...FULL, layers: 1 }): readonly string[] {
  mkdirSync(dir, { recursive: true });
  const words = vocabulary(shape.vocab);
  SYNTHETIC_PREFIXES.forEach((prefix, k) => {
    // Different seeds: the two models of a pair are different encoders, as nli_large and its twin are.
    const model = syntheticGensen(shape, 1111 + k, prefix);
    writeLegacyCheckpoint(join(dir, `${prefix}.model`), model.weights.tensors);
    writeVocab(join(dir, `${prefix}_vocab.pkl`), words);
  });
  return SYNTHETIC_PREFIXES;
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const i = process.argv.indexOf('--out');
  if (i < 0 || !process.argv[i + 1]) {
    console.error('usage: make-gensen-models --out DIR [--vocab 80004] [--emb 512] [--hidden 1024] [--layers 1]');
    process.exit(2);
  }
  const dir = process.argv[i + 1]!;
  const shape = { vocab: arg('vocab', FULL.vocab), embDim: arg('emb', FULL.embDim), hidden: arg('hidden', FULL.hidden), layers: arg('layers', 1) };
  const prefixes = makeGensenModels(dir, shape);
  console.log(
    `wrote ${prefixes.map((p) => `${p}.model, ${p}_vocab.pkl`).join('; ')} to ${dir} (V ${shape.vocab}, E ${shape.embDim}, H ${shape.hidden}, ${shape.layers} layer(s))`,
  );
}
