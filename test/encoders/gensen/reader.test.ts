import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { loadStateDict, parseStateDict, type Tensor } from '../../../src/formats/torch-checkpoint.js';
import { isGlobalRef, isPyObject, unpickle, type PyValue } from '../../../src/formats/pickle.js';
import { checkGensenStateDict, loadGensenStateDict, resolveGensenFiles } from '../../../src/encoders/gensen/state-dict.js';
import { ZipArchive } from '../../../src/formats/zip.js';
import { loadVocab, parseVocab } from '../../../src/encoders/gensen/vocab.js';
import { UserError } from '../../../src/util/errors.js';
import { repoRoot } from '../../helpers/data.js';

const DIR = join(repoRoot(), 'test', 'fixtures', 'gensen');

interface Expected {
  values: Record<string, Record<string, { shape: number[]; data: number[] }>>;
  files: Record<string, { values: string; format: string }>;
  vocab: Record<string, string[]>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;

function assertTensorsEqual(got: ReadonlyMap<string, Tensor>, want: Expected['values'][string], what: string): void {
  assert.deepEqual([...got.keys()], Object.keys(want), `${what}: key order`);
  for (const [k, w] of Object.entries(want)) {
    const t = got.get(k)!;
    assert.deepEqual(t.shape, w.shape, `${what} ${k}: shape`);
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(Array.from(t.data), w.data.map(Math.fround), `${what} ${k}: values`);
  }
}

/** A zip archive writer for tests (stored or deflated members, with CRCs). */
function makeZip(members: { name: string; data: Uint8Array; deflate?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const body = m.deflate ? deflateRawSync(m.data) : Buffer.from(m.data);
    const name = Buffer.from(m.name, 'utf8');
    const crc = crc32(m.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(m.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(m.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(m.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(m.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

for (const [file, info] of Object.entries(expected.files)) {
  test(`loadStateDict reads ${file} (${info.format}) exactly as torch.load does`, async () => {
    const sd = await loadStateDict(join(DIR, file));
    assertTensorsEqual(sd, expected.values[info.values]!, file);
  });
}

test('a 0.3 checkpoint with shared storages, offsets, strides and storage views is honoured', () => {
  // tiny2.model stores weight_hh_l0 transposed and layer 1 in a view of the layer-0 storage.
  const raw = readFileSync(join(DIR, 'tiny2.model'));
  assert.ok(raw.includes(Buffer.from('torch._utils\n_rebuild_tensor\n')));
  const sd = parseStateDict('tiny2.model', raw);
  const want = expected.values['tiny2']!;
  const hh = sd.get('encoder.weight_hh_l0')!;
  assert.deepEqual(hh.shape, [15, 5]);
  assert.deepEqual(Array.from(hh.data), want['encoder.weight_hh_l0']!.data.map(Math.fround));
});

test('a deflated zip checkpoint (re-packed) loads the same tensors', () => {
  const zip = new ZipArchive(readFileSync(join(DIR, 'tiny1.zip.model')), 'tiny1.zip.model');
  const members = [...zip.entries.values()].map((e) => ({ name: e.name, data: zip.read(e), deflate: true }));
  const sd = parseStateDict('deflated.zip', makeZip(members));
  assertTensorsEqual(sd, expected.values['tiny1']!, 'deflated');
});

test('a big-endian zip checkpoint (byteorder = big) is byte-swapped', () => {
  const zip = new ZipArchive(readFileSync(join(DIR, 'tiny1.zip.model')), 'tiny1.zip.model');
  const members = [...zip.entries.values()].map((e) => {
    const data = Uint8Array.from(zip.read(e));
    if (/\/data\/\d+$/.test(e.name)) Buffer.from(data.buffer).swap32();
    return { name: e.name, data };
  });
  members.push({ name: 'archive/byteorder', data: Buffer.from('big') });
  assertTensorsEqual(parseStateDict('be.zip', makeZip(members)), expected.values['tiny1']!, 'big-endian');
});

test('loadGensenStateDict reports sizes and layers', async () => {
  const g1 = await loadGensenStateDict(join(DIR, 'tiny1.model'));
  assert.deepEqual([g1.vocabSize, g1.embDim, g1.hidden, g1.layers, g1.tensors.size], [60, 8, 6, 1, 9]);
  const g2 = await loadGensenStateDict(join(DIR, 'tiny2.zip.model'));
  assert.deepEqual([g2.vocabSize, g2.embDim, g2.hidden, g2.layers, g2.tensors.size], [57, 7, 5, 2, 17]);
  assert.deepEqual(g2.tensors.get('encoder.weight_ih_l1')!.shape, [15, 10]);
});

test('checkGensenStateDict names missing, unexpected and misshapen keys', () => {
  const base = parseStateDict('tiny1.model', readFileSync(join(DIR, 'tiny1.model')));
  const missing = new Map(base);
  missing.delete('encoder.bias_hh_l0_reverse');
  missing.set('decoder.weight', { shape: [1], data: new Float32Array(1) });
  rejects(
    () => checkGensenStateDict('m.model', missing),
    /^m\.model: not a GenSen encoder state dict.*missing encoder\.bias_hh_l0_reverse; unexpected 'decoder\.weight'$/,
  );
  const misshapen = new Map(base);
  misshapen.set('encoder.weight_ih_l0_reverse', { shape: [18, 7], data: new Float32Array(18 * 7) });
  rejects(() => checkGensenStateDict('m.model', misshapen), /encoder\.weight_ih_l0_reverse is \[18, 7\], expected \[18, 8\]/);
  const two = parseStateDict('tiny2.model', readFileSync(join(DIR, 'tiny2.model')));
  const noL1 = new Map(two);
  noL1.delete('encoder.weight_hh_l1');
  rejects(() => checkGensenStateDict('t.model', noL1), /17 keys of a 2-layer .*missing encoder\.weight_hh_l1$/);
});

for (const name of ['tiny1_vocab.pkl', 'tiny2_vocab.pkl', 'tiny1_vocab.p2.pkl', 'tiny1_vocab.p4.pkl']) {
  test(`loadVocab reads ${name} like pickle.load(encoding='latin1')`, async () => {
    const v = await loadVocab(join(DIR, name));
    const words = expected.vocab[name.startsWith('tiny2') ? 'tiny2' : 'tiny1']!;
    assert.deepEqual(v.id2word, words);
    assert.equal(v.word2id.size, words.length);
    words.forEach((w, i) => assert.equal(v.word2id.get(w), i));
    assert.equal(v.word2id.get('café'), words.indexOf('café'));
  });
}

test('loadVocab checks the specials and the id mapping', () => {
  // {'word2id': {'<s>': 0, 'x': 1}, 'id2word': {0: '<s>', 1: 'x'}} in protocol 0
  const p = Buffer.from("(dp0\nS'word2id'\np1\n(dp2\nS'<s>'\np3\nI0\nsS'x'\np4\nI1\nssS'id2word'\np5\n(dp6\nI0\ng3\nsI1\ng4\nss.", 'latin1');
  rejects(() => parseVocab('v.pkl', p), /^v\.pkl: id 1 is 'x', expected '<pad>'/);
  const inconsistent = Buffer.from("(dp0\nS'word2id'\n(dS'<s>'\nI1\nsS'x'\nI0\nssS'id2word'\n(dI0\nS'<s>'\nsI1\nS'x'\nss.", 'latin1');
  rejects(() => parseVocab('v.pkl', inconsistent), /word2id\['<s>'\] = 1 but id2word\[1\] = 'x'/);
  rejects(() => parseVocab('v.pkl', Buffer.from('(lp0\n.')), /not a GenSen vocabulary/);
});

test('resolveGensenFiles names the expected files and where the models are published', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gensen-'));
  try {
    rejects(
      () => resolveGensenFiles(dir, 'nli_large'),
      new RegExp(
        `GenSen model 'nli_large' not found: expected ${join(dir, 'nli_large.model')} and ${join(dir, 'nli_large_vocab.pkl')}` +
          '.*data/models/download_models\\.sh in https://github\\.com/Maluuba/gensen',
      ),
    );
    writeFileSync(join(dir, 'nli_large.model'), '');
    rejects(() => resolveGensenFiles(dir, 'nli_large'), /\(missing: [^,]*nli_large_vocab\.pkl\)/);
    writeFileSync(join(dir, 'nli_large_vocab.pkl'), '');
    assert.deepEqual(resolveGensenFiles(dir, 'nli_large'), {
      model: join(dir, 'nli_large.model'),
      vocab: join(dir, 'nli_large_vocab.pkl'),
    });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('file-level errors name the file and the problem', async () => {
  await assert.rejects(loadStateDict('/nonexistent/x.model'), /^UserError: \/nonexistent\/x\.model: cannot read checkpoint \(ENOENT\)$/);
  rejects(() => parseStateDict('v.model', readFileSync(join(DIR, 'tiny1_vocab.pkl'))), /^v\.model: not a PyTorch checkpoint/);
  rejects(() => parseStateDict('t.model', Buffer.from('hello world\n')), /not a PyTorch checkpoint/);
  const legacy = readFileSync(join(DIR, 'tiny1.model'));
  rejects(() => parseStateDict('t.model', legacy.subarray(0, legacy.length - 100)), /^t\.model: truncated file: storage '\d+' needs \d+ bytes/);
  rejects(() => parseStateDict('t.model', legacy.subarray(0, 700)), /^t\.model: truncated file/);
  rejects(() => parseStateDict('z.model', makeZip([{ name: 'archive/version', data: Buffer.from('3\n') }])), /^z\.model: a zip archive without data\.pkl/);
  const listPickle = Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x65, 0x2e]); // [1, 2]
  rejects(
    () => parseStateDict('l.model', makeZip([{ name: 'archive/data.pkl', data: listPickle }])),
    /^l\.model: not a state dict: the checkpoint holds a list\/tuple/,
  );
  const zipped = readFileSync(join(DIR, 'tiny1.zip.model'));
  rejects(() => parseStateDict('z.model', zipped.subarray(0, zipped.length - 30)), /^z\.model: corrupt or truncated zip archive/);
});

test('the refusal of a global names it, and nothing is called', () => {
  const p = Buffer.from("cos\nsystem\n(S'echo hi'\ntR.", 'latin1');
  rejects(() => unpickle(p, { file: 'evil.pkl' }), /^refusing to load evil\.pkl: global 'os\.system' is not an allowed construct$/);
  const inState = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cbuiltins\neval\n'), Buffer.from([0x2e])]);
  rejects(() => unpickle(inState, { file: 'e.pkl' }), /global 'builtins\.eval'/);
  // An allowed class without a call handler cannot be called.
  const storageCall = Buffer.from('ctorch\nFloatStorage\n)R.', 'latin1');
  rejects(() => unpickle(storageCall, { file: 's.pkl', globals: new Map([['torch.FloatStorage', {}]]) }), /torch\.FloatStorage cannot be called/);
  const ok = unpickle(Buffer.from('ctorch\nFloatStorage\n.', 'latin1'), { file: 's.pkl', globals: new Map([['torch.FloatStorage', {}]]) });
  assert.ok(isGlobalRef(ok.value) && ok.value.name === 'FloatStorage');
});

/** The JSON form pickle-cases.json uses (see make_gensen_models.py `tagged`). */
function tagged(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'number') throw new Error('numbers are compared through reprs below');
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(tagged);
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [tagged(k), tagged(x)]) };
  if (v instanceof Set) return { set: [...v].map(tagged).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };
  assert.ok(isPyObject(v));
  return { object: v.pyType };
}

test('unpickle matches Python on every protocol and on Python 2 text opcodes', () => {
  const cases = JSON.parse(readFileSync(join(DIR, 'pickle-cases.json'), 'utf8')) as { name: string; hex: string; value: unknown }[];
  assert.ok(cases.length >= 8);
  // Numbers: Python ints are tagged {int}, floats {float: repr}; map ours to the same form.
  const normalise = (want: unknown, got: PyValue): PyValue | unknown => {
    if (want && typeof want === 'object' && 'float' in want && typeof got === 'number') {
      const r = (want as { float: string }).float;
      const f = r === 'inf' ? Infinity : r === '-inf' ? -Infinity : Number(r);
      assert.equal(got, f);
      return want;
    }
    if (want && typeof want === 'object' && 'int' in want && (typeof got === 'number' || typeof got === 'bigint')) {
      assert.ok(typeof got === 'bigint' || Number.isSafeInteger(got));
      return { int: got.toString() };
    }
    if (Array.isArray(want) && Array.isArray(got)) return want.map((w, i) => normalise(w, got[i]!));
    if (want && typeof want === 'object' && 'dict' in want && got instanceof Map) {
      const entries = [...got];
      return { dict: (want as { dict: [unknown, unknown][] }).dict.map(([wk, wv], i) => [normalise(wk, entries[i]![0]), normalise(wv, entries[i]![1])]) };
    }
    if (want && typeof want === 'object' && 'set' in want && got instanceof Set) {
      return {
        set: [...got].map((x) => (typeof x === 'number' ? { int: String(x) } : tagged(x))).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
      };
    }
    return tagged(got);
  };
  for (const c of cases) {
    const data = Buffer.from(c.hex, 'hex');
    const r = unpickle(data, { file: c.name });
    assert.equal(r.end, data.length, c.name);
    assert.deepEqual(normalise(c.value, r.value), c.value, c.name);
  }
});

test('unpickle reads consecutive pickles from an offset', () => {
  const data = readFileSync(join(DIR, 'tiny1.v2.model'));
  const magic = unpickle(data, { file: 'x' });
  assert.equal(magic.value, 0x1950a86a20f9469cfc6cn);
  const proto = unpickle(data, { file: 'x', offset: magic.end });
  assert.equal(proto.value, 1001);
});
