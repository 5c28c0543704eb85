import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStateDict } from '../../../src/formats/torch-checkpoint.js';
import { unpickle } from '../../../src/formats/pickle.js';
import { parseVocab } from '../../../src/encoders/gensen/vocab.js';
import { UserError } from '../../../src/util/errors.js';
import { Rng } from '../../../src/util/rng.js';
import { repoRoot } from '../../helpers/data.js';

const DIR = join(repoRoot(), 'test', 'fixtures', 'gensen');

type Outcome = 'loaded' | 'refused';

/** Either a well-formed result or a UserError; anything else (RangeError, TypeError...) fails. */
function attempt(what: string, fn: () => unknown): Outcome {
  try {
    const r = fn();
    if (r instanceof Map) {
      for (const [k, t] of r) {
        if (t && typeof t === 'object' && 'shape' in t) {
          const n = (t.shape as number[]).reduce((a, b) => a * b, 1);
          assert.equal(t.data.length, n, `${what}: tensor ${String(k)} has ${t.data.length} values for its shape`);
        }
      }
    }
    return 'loaded';
  } catch (e) {
    if (e instanceof UserError) {
      assert.ok(e.message.length < 2000, `${what}: overlong message`);
      assert.ok(!e.message.includes('\n'), `${what}: message must be one line: ${e.message}`);
      return 'refused';
    }
    throw new Error(`${what}: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
}

function mutate(rng: Rng, data: Buffer, kind: number): Buffer {
  const out = Buffer.from(data);
  switch (kind) {
    case 0: // truncation
      return out.subarray(0, rng.int(out.length));
    case 1: {
      // a few random bytes
      const n = 1 + rng.int(4);
      for (let i = 0; i < n; i++) out[rng.int(out.length)] = rng.int(256);
      return out;
    }
    case 2: {
      // a plausible length field gone huge
      const at = rng.int(out.length - 4);
      out.writeUInt32LE([0xffffffff, 0x7fffffff, 0x10000000, 0xfffffff0][rng.int(4)]!, at);
      return out;
    }
    default: {
      // one bit
      const at = rng.int(out.length);
      out[at]! ^= 1 << rng.int(8);
      return out;
    }
  }
}

const TARGETS: { file: string; parse: (name: string, b: Buffer) => unknown }[] = [
  { file: 'tiny1.model', parse: parseStateDict },
  { file: 'tiny2.model', parse: parseStateDict },
  { file: 'tiny1.v2.model', parse: parseStateDict },
  { file: 'tiny2.zip.model', parse: parseStateDict },
  { file: 'tiny1.f16.zip.model', parse: parseStateDict },
  { file: 'tiny1_vocab.pkl', parse: parseVocab },
  { file: 'tiny1_vocab.p4.pkl', parse: parseVocab },
];

for (const { file, parse } of TARGETS) {
  test(`fuzz: ${file} truncated or corrupted loads or is refused cleanly`, { timeout: 60_000 }, () => {
    const data = readFileSync(join(DIR, file));
    const rng = new Rng(1111, file.length);
    const counts: Record<Outcome, number> = { loaded: 0, refused: 0 };
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < 120; i++) {
      const kind = i % 4;
      const bad = mutate(rng, data, kind);
      counts[attempt(`${file} case ${i} (kind ${kind})`, () => parse(file, bad))]++;
    }
    // Anything gigabyte-sized would show here; the fixtures are a few KB.
    assert.ok(process.memoryUsage().rss - rss0 < 512 * 2 ** 20, 'memory grew by more than 512 MB');
    // Truncations are always refused; the corpus must exercise both outcomes.
    assert.ok(counts.refused >= 30, `${file}: only ${counts.refused} refusals`);
  });
}

test('fuzz: every truncation of tiny1.model and the vocab is refused', () => {
  for (const [file, parse] of [
    ['tiny1.model', parseStateDict],
    ['tiny1_vocab.pkl', parseVocab],
  ] as const) {
    const data = readFileSync(join(DIR, file));
    for (let n = 0; n < data.length; n += 7) {
      assert.equal(
        attempt(`${file} cut at ${n}`, () => parse(file, data.subarray(0, n))),
        'refused',
        `${file} cut at ${n}`,
      );
    }
  }
});

// --- hand-crafted hostile input -----------------------------------------------------------

const b = (...parts: (string | number[] | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const sbs = (s: string): Buffer => b([0x55, s.length], s); // SHORT_BINSTRING

function refusal(data: Buffer, pattern: RegExp, opts: Parameters<typeof unpickle>[1] = { file: 'h.pkl' }): void {
  assert.throws(
    () => unpickle(data, opts),
    (e: unknown) => e instanceof UserError && pattern.test(e.message),
  );
}

test('hostile pickles: code globals are refused however they are spelled', () => {
  refusal(b('cos\nsystem\n'), /global 'os\.system' is not an allowed construct/);
  refusal(b('ios\nsystem\n(S"id"\n.'), /global 'os\.system'/); // INST
  refusal(b([0x80, 4, 0x8c, 5], 'posix', [0x8c, 6], 'system', [0x93]), /global 'posix\.system'/); // STACK_GLOBAL
  refusal(b('(cbuiltins\nexec\nS"x"\no.'), /global 'builtins\.exec'/); // OBJ
  refusal(b([0x80, 2, 0x82, 1, 0x2e]), /extension-registry/); // EXT1
  // The torch allow-list does not open anything else.
  const legacyHead = readFileSync(join(DIR, 'tiny1.v2.model'));
  const head = legacyHead.subarray(0, 137); // magic, protocol and sys-info pickles
  const evil = b(head, [0x80, 2], 'ctorch.storage\n_load_from_bytes\n', sbs('x'), [0x85, 0x52, 0x2e]);
  assert.throws(() => parseStateDict('evil.model', evil), /refusing to load evil\.model: global 'torch\.storage\._load_from_bytes'/);
});

test('hostile pickles: huge length fields fail fast without allocating', () => {
  refusal(b('T', u32(0x7fffffff), 'abc'), /truncated file.*BINSTRING/);
  refusal(b('X', u32(0xffffffff), 'abc'), /truncated file.*BINUNICODE/);
  refusal(b('B', u32(0xfffffff0)), /truncated file/);
  refusal(b([0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /truncated file/); // BINUNICODE8
  refusal(b([0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 1]), /truncated file/); // FRAME of 2^56
  refusal(b([0x8b], u32(0x7ffffff0)), /truncated file/); // LONG4
  refusal(b([0x8b], u32(100000), Buffer.alloc(100000, 1), '.'), /too large/);
  refusal(b('I', '9'.repeat(100000), '\n.'), /bad INT literal/);
});

test('hostile pickles: stack and memo underflow, deep nesting', () => {
  refusal(b('.'), /stack underflow/);
  refusal(b('a.'), /stack underflow/);
  refusal(b(']('.repeat(1), 'a.'), /stack underflow/); // APPEND cannot reach below a MARK
  refusal(b('e.'), /no MARK/);
  refusal(b('h', [5], '.'), /memo entry 5 was never stored/);
  refusal(b('g12\n.'), /memo entry 12/);
  refusal(b('R.'), /stack underflow/);
  refusal(b('N)R.'), /cannot call a None/);
  refusal(b('(N'), /truncated file: pickle has no STOP/);
  refusal(b([0x80, 9]), /unsupported pickle protocol 9/);
  refusal(b([0xff]), /unknown opcode 0xff/);
  // A million nested lists: built iteratively, no recursion to overflow.
  const depth = 1_000_000;
  const nested = b(']'.repeat(depth), 'a'.repeat(depth - 1), '.');
  let v = unpickle(nested, { file: 'deep.pkl' }).value;
  let d = 1;
  while (Array.isArray(v) && v.length === 1) {
    v = v[0]!;
    d++;
  }
  assert.equal(d, depth);
  refusal(b('('.repeat(depth), '.'), /stack underflow/);
  // Self-reference through the memo (a list containing itself) is data, not a loop.
  const selfRef = unpickle(b(']q', [0], 'h', [0], 'a.'), { file: 'self.pkl' }).value as unknown[];
  assert.equal(selfRef[0], selfRef);
});

/** A legacy checkpoint around a hand-written state-dict pickle and raw storage data. */
function legacy(statePickle: Buffer, keys: string[], tail: Buffer): Buffer {
  const head = readFileSync(join(DIR, 'tiny1.v2.model')).subarray(0, 137);
  const keyList = b([0x80, 2, 0x5d, 0x28], ...keys.map(sbs), [0x65, 0x2e]);
  return b(head, statePickle, keyList, tail);
}

function tensorPickle(numel: number[], offset: number, size: number[], stride: number[]): Buffer {
  const bin = (n: number): Buffer => b('J', u32(n));
  return b(
    [0x80, 2],
    'ccollections\nOrderedDict\n)R(',
    sbs('w'),
    'ctorch._utils\n_rebuild_tensor\n(',
    '(',
    sbs('storage'),
    'ctorch\nFloatStorage\n',
    sbs('k'),
    sbs('cpu'),
    bin(numel[0]!),
    'Nt',
    'Q',
    bin(offset),
    '(',
    ...size.map(bin),
    't',
    '(',
    ...stride.map(bin),
    't',
    'tRu.',
  );
}

test('hostile checkpoints: storage and tensor sizes are checked before allocation', () => {
  const count = (n: number): Buffer => {
    const c = Buffer.alloc(8);
    c.writeBigInt64LE(BigInt(n));
    return c;
  };
  const floats = (n: number): Buffer => Buffer.alloc(4 * n);
  // well-formed control case
  const good = parseStateDict('g.model', legacy(tensorPickle([6], 0, [2, 3], [3, 1]), ['k'], b(count(6), floats(6))));
  assert.deepEqual(good.get('w')!.shape, [2, 3]);
  const cases: [Buffer, RegExp][] = [
    // the pickle claims a 2^31-element storage (and a tensor that uses it); the data is not there
    [legacy(tensorPickle([0x7fffffff], 0, [0x7fffffff], [1]), ['k'], b(count(0x7fffffff), floats(6))), /truncated file: storage 'k' needs 8589934588 bytes/],
    // a 2^31-element storage behind a 2 x 3 tensor: refused from the pickle, before any data is read (issue 25)
    [
      legacy(tensorPickle([0x7fffffff], 0, [2, 3], [3, 1]), ['k'], b(count(0x7fffffff), floats(6))),
      /storage 'k' declares 2147483647 elements but its tensors use 6/,
    ],
    // count in the data disagrees with the pickle
    [legacy(tensorPickle([6], 0, [2, 3], [3, 1]), ['k'], b(count(2 ** 40), floats(6))), /has 1099511627776 elements in the data, 6 in the pickle/],
    // a huge tensor over a small storage
    [legacy(tensorPickle([6], 0, [1 << 20, 1 << 20], [1 << 20, 1]), ['k'], b(count(6), floats(6))), /reaches past its storage of 6 elements/],
    // broadcast (stride 0) to a gigabyte
    [legacy(tensorPickle([6], 0, [1 << 16, 1 << 14], [0, 0]), ['k'], b(count(6), floats(6))), /implausibly large/],
    // offset past the end
    [legacy(tensorPickle([6], 5, [2], [1]), ['k'], b(count(6), floats(6))), /reaches past its storage/],
    // data for a storage nobody declared
    [legacy(tensorPickle([6], 0, [6], [1]), ['zz'], b(count(6), floats(6))), /data for storage 'zz' that no tensor uses/],
    // storage declared, no data
    [legacy(tensorPickle([6], 0, [6], [1]), [], Buffer.alloc(0)), /no data for storage 'k'/],
  ];
  for (const [data, pattern] of cases) {
    assert.throws(
      () => parseStateDict('h.model', data),
      (e: unknown) => e instanceof UserError && pattern.test(e.message),
      String(pattern),
    );
  }
});

test('fuzz: random opcode streams end in a value or a clean refusal', { timeout: 60_000 }, () => {
  // Mostly valid opcodes with short arguments, so the machine gets deep before failing.
  const ops = Buffer.from('(.0123FIJKLMNPQRSTUVXabcdehijlopqrstu})]GBC', 'latin1');
  const extra = [0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95];
  const alphabet = [...ops, ...extra];
  const rng = new Rng(1111, 99);
  const globals = new Map([['collections.OrderedDict', { call: () => new Map() }]]);
  const counts: Record<Outcome, number> = { loaded: 0, refused: 0 };
  for (let i = 0; i < 3000; i++) {
    const n = 1 + rng.int(60);
    const bytes: number[] = [];
    for (let k = 0; k < n; k++) {
      const r = rng.int(10);
      if (r < 6) bytes.push(alphabet[rng.int(alphabet.length)]!);
      else if (r < 8)
        bytes.push(rng.int(4)); // small arguments
      else if (r < 9) bytes.push(0x0a);
      else bytes.push(rng.int(256));
    }
    if (rng.int(2) === 0) bytes.push(0x2e);
    const data = Buffer.from(bytes);
    counts[attempt(`stream ${data.toString('hex')}`, () => unpickle(data, { file: 'r.pkl', globals, persistentLoad: (p) => p }))]++;
  }
  assert.ok(counts.loaded > 0 && counts.refused > 0, JSON.stringify(counts));
});

test('fuzz: mutations of every protocol sample from pickle-cases.json', { timeout: 60_000 }, () => {
  const cases = JSON.parse(readFileSync(join(DIR, 'pickle-cases.json'), 'utf8')) as { name: string; hex: string }[];
  const rng = new Rng(1111, 7);
  const counts: Record<Outcome, number> = { loaded: 0, refused: 0 };
  for (const c of cases) {
    const data = Buffer.from(c.hex, 'hex');
    for (let i = 0; i < 80; i++) {
      const bad = mutate(rng, data, i % 4);
      counts[attempt(`${c.name} case ${i}`, () => unpickle(bad, { file: c.name }))]++;
    }
  }
  assert.ok(counts.loaded > 50 && counts.refused > 200, JSON.stringify(counts));
});
