import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGensenEncoder } from '../../../src/encoders/gensen/factory.js';
import type { GensenEncoderOptions } from '../../../src/encoders/gensen/encoder.js';
import type { VocabText } from '../../../src/encoders/gensen/expansion.js';
import { loadVocab, parseVocab } from '../../../src/encoders/gensen/vocab.js';
import { pySplit } from '../../../src/util/pystr.js';
import type { Matrix } from '../../../src/util/matrix.js';
import { differs, worseOf, worstAbsDiff } from '../../helpers/diff.js';

// Vocabularies written byte for byte as Python 2.7's pickle.dump wrote the released ones (UTF-8 byte
// strings, S'caf\xc3\xa9', Python 2 dict order), and PyTorch references that look words up by their
// UTF-8 bytes: scripts/fixtures/make_gensen_py2.py.
const FIX = join(process.cwd(), 'test', 'fixtures', 'gensen');
const EXP = join(FIX, 'expected');

interface Case {
  last: number[][];
  max: number[][];
  maxMasked: number[][];
  expansion?: { shared: number; rank: number; own: number; regressed: number; unk: number }[];
}
const expected = JSON.parse(readFileSync(join(EXP, 'py2-encodings.json'), 'utf8')) as {
  sentences: string[];
  batchSize: number;
  vocab: Record<string, string[]>;
  cases: Record<string, Case>;
};
const batches: string[][] = [];
for (let i = 0; i < expected.sentences.length; i += expected.batchSize) batches.push(expected.sentences.slice(i, i + expected.batchSize));

function maxDiff(actual: Matrix, want: number[][], offset: number): { diff: number; where: string } {
  assert.equal(actual.cols, want[0]!.length, 'dim');
  const { diff, index } = worstAbsDiff(actual.data, want.slice(offset, offset + actual.rows).flat());
  const r = Math.floor(index / actual.cols);
  return { diff, where: `sentence ${offset + r} (${JSON.stringify(expected.sentences[offset + r])}) dim ${index % actual.cols}` };
}

const MODELS: Record<string, Pick<GensenEncoderOptions, 'prefix1' | 'prefix2'>> = {
  py2a: { prefix1: 'py2a' },
  py2b: { prefix1: 'py2b' },
  'py2a+py2b': { prefix1: 'py2a', prefix2: 'py2b' },
};

test('a Python 2 protocol 0 vocabulary reads as UTF-8: every word, in id order, no notes', async () => {
  for (const prefix of ['py2a', 'py2b']) {
    const raw = readFileSync(join(FIX, `${prefix}_vocab.pkl`));
    // The file really is Python 2's text form with escaped UTF-8 bytes and memo opcodes.
    assert.ok(raw.includes(Buffer.from("S'caf\\xc3\\xa9'\np")), prefix);
    assert.ok(raw.includes(Buffer.from(`S"'s"\n`)), prefix);
    assert.match(raw.toString('latin1'), /\ng\d+\n/);
    const v = await loadVocab(join(FIX, `${prefix}_vocab.pkl`));
    assert.deepEqual(v.id2word, expected.vocab[prefix]);
    assert.deepEqual(
      [...v.word2id.entries()].sort((a, b) => a[1] - b[1]).map(([w]) => w),
      expected.vocab[prefix],
    );
    assert.deepEqual(v.notes, []);
  }
  const a = await loadVocab(join(FIX, 'py2a_vocab.pkl'));
  for (const w of ['café', 'señor', '—', 'naïve', 'Über', '€', "'s", 'it"s', 'rock\'n"roll', 'back\\slash']) assert.ok(a.word2id.has(w), w);
});

test('Python 3 pickles whose words are bytes (protocol 3) decode as UTF-8 too', () => {
  // pickle.dumps({b'word2id': {b'<s>': 0, ...}, ...}, protocol=3): what re-dumping a vocabulary read
  // with encoding='bytes' gives. Built here so the bytes opcodes (SHORT_BINBYTES 'C') are explicit.
  const words = ['<s>', '<pad>', '</s>', '<unk>', 'café', '—'];
  const parts: number[] = [0x80, 0x03, 0x7d, 0x28];
  const bytesOp = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    parts.push(0x43, b.length, ...b);
  };
  bytesOp('word2id');
  parts.push(0x7d, 0x28);
  words.forEach((w, i) => {
    bytesOp(w);
    parts.push(0x4b, i);
  });
  parts.push(0x75);
  bytesOp('id2word');
  parts.push(0x7d, 0x28);
  words.forEach((w, i) => {
    parts.push(0x4b, i);
    bytesOp(w);
  });
  parts.push(0x75, 0x75, 0x2e);
  const v = parseVocab('p3.pkl', Uint8Array.from(parts));
  assert.deepEqual(v.id2word, words);
  assert.equal(v.word2id.get('café'), 4);
  assert.equal(v.word2id.get('—'), 5);
  assert.deepEqual(v.notes, []);
});

test('a word that is not valid UTF-8 falls back to latin-1 and is named in a note', async () => {
  const p = Buffer.from(
    "(dp0\nS'word2id'\np1\n(dp2\nS'<s>'\np3\nI0\nsS'<pad>'\np4\nI1\nsS'</s>'\np5\nI2\nsS'<unk>'\np6\nI3\nsS'na\\xefve'\np7\nI4\nsS'caf\\xc3\\xa9'\np8\nI5\nss" +
      "S'id2word'\np9\n(dp10\nI0\ng3\nsI1\ng4\nsI2\ng5\nsI3\ng6\nsI4\ng7\nsI5\ng8\nss.",
    'latin1',
  );
  const v = parseVocab('old.pkl', p);
  assert.deepEqual(v.id2word, ['<s>', '<pad>', '</s>', '<unk>', 'naïve', 'café']);
  assert.equal(v.notes.length, 1);
  assert.match(v.notes[0]!, /^old\.pkl: 1 vocabulary word is not valid UTF-8 and was read as latin-1 \('naïve'\)/);
  // The older tiny fixtures hold latin-1 words: they still load, with the note.
  const t = await loadVocab(join(FIX, 'tiny1_vocab.pkl'));
  assert.ok(t.word2id.has('café'));
  assert.match(t.notes.join('\n'), /'café', 'naïve'|'naïve', 'café'/);
  // Both spellings of one word: the reader cannot tell them apart; it says so instead of guessing.
  const both = Buffer.from(
    "(dp0\nS'word2id'\np1\n(dp2\nS'<s>'\np3\nI0\nsS'<pad>'\np4\nI1\nsS'</s>'\np5\nI2\nsS'<unk>'\np6\nI3\nsS'caf\\xe9'\np7\nI4\nsS'caf\\xc3\\xa9'\np8\nI5\nss" +
      "S'id2word'\np9\n(dp10\nI0\ng3\nsI1\ng4\nsI2\ng5\nsI3\ng6\nsI4\ng7\nsI5\ng8\nss.",
    'latin1',
  );
  assert.throws(() => parseVocab('both.pkl', both), /both\.pkl: the vocabulary holds 'café' twice \(ids 4 and 5\)/);
});

for (const [name, prefixes] of Object.entries(MODELS)) {
  const want = expected.cases[name]!;
  for (const [pool, maxPool, key] of [
    ['last', 'faithful', 'last'],
    ['max', 'faithful', 'max'],
    ['max', 'masked', 'maxMasked'],
  ] as const) {
    test(`encode ${name} (Python 2 vocabulary, non-ASCII words): ${key} pooling matches PyTorch on UTF-8 bytes within 1e-5`, async () => {
      const enc = await createGensenEncoder({ modelsDir: FIX, ...prefixes, pool, maxPool });
      try {
        assert.equal(enc.vocabText, 'utf8');
        assert.deepEqual(enc.notes(), []);
        let off = 0;
        for (const b of batches) {
          const { vectors } = await enc.encodeText(b);
          const { diff, where } = maxDiff(vectors, want[key], off);
          assert.ok(diff <= 1e-5, `${name} ${key}: ${diff} at ${where}`);
          off += b.length;
        }
      } finally {
        await enc.close();
      }
    });
  }
}

async function sentevalRun(name: string, task: string, glove: string, vocabText: VocabText): Promise<{ diff: number; where: string; notes: string[] }> {
  const enc = await createGensenEncoder({
    modelsDir: FIX,
    ...MODELS[name]!,
    pool: 'best',
    maxPool: 'faithful',
    glove: join(EXP, glove),
    senteval: true,
    vocabText,
  });
  try {
    assert.equal(enc.identity.params['vocabText'], vocabText);
    await enc.prepare({ taskId: task, samples: expected.sentences.map((s) => pySplit(s)) });
    const want = expected.cases[`${name}@${task}@${glove.replace(/\.(txt|h5)$/, '')}@${vocabText}`]!;
    let worst = { diff: 0, where: '' };
    let off = 0;
    for (const b of batches) {
      const m = await enc.encode(b.map((s) => pySplit(s)));
      const d = maxDiff(m, task === 'MR' ? want.max : want.last, off);
      worst = worseOf(worst, d);
      off += b.length;
    }
    return { ...worst, notes: enc.notes() };
  } finally {
    await enc.close();
  }
}

for (const task of ['MR', 'TREC']) {
  for (const glove of ['py2-glove6.txt', 'py2-glove6.h5', 'py2-glove32dep.txt', 'py2-glove24few.txt']) {
    for (const vocabText of ['python2', 'utf8'] as const) {
      test(`evaluate path ${task}, expansion from ${glove}, --vocab-text ${vocabText}: one and two models match PyTorch + sklearn within 2e-5`, async () => {
        for (const name of Object.keys(MODELS)) {
          const r = await sentevalRun(name, task, glove, vocabText);
          assert.ok(r.diff <= 2e-5, `${name}: ${r.diff} at ${r.where}`);
          assert.equal(
            r.notes.some((n) => /non-ASCII character get the <unk> row/.test(n)),
            vocabText === 'python2',
          );
          // Dependent vector columns, or fewer shared words than dimensions: the minimum-norm fit, said in a note.
          assert.equal(
            r.notes.some((n) => /minimum-norm least-squares map/.test(n)),
            !glove.startsWith('py2-glove6'),
            r.notes.join('\n'),
          );
        }
      });
    }
  }
}

test('the two vocabulary-text modes really differ on non-ASCII words, and only there', () => {
  const a = expected.cases['py2a@MR@py2-glove6@python2']!.max;
  const b = expected.cases['py2a@MR@py2-glove6@utf8']!.max;
  // A NaN would count as differing below: the fixture has none.
  for (const m of [a, b]) assert.ok(m.flat().every(Number.isFinite), 'finite fixture');
  expected.sentences.forEach((s, i) => {
    const differ = a[i]!.some((x, c) => differs(x, b[i]![c]!, 1e-4));
    // Faithful max pooling mixes in the batch's padding, so ASCII-only sentences stay equal.
    if (!/[^\x00-\x7f]/.test(s)) assert.ok(!differ, `ASCII sentence ${i} differs`);
  });
  assert.ok(expected.sentences.some((s, i) => /[^\x00-\x7f]/.test(s) && a[i]!.some((x, c) => differs(x, b[i]![c]!, 1e-3))));
});
