import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGensenEncoder } from '../../../src/encoders/gensen/factory.js';
import type { GensenEncoderOptions } from '../../../src/encoders/gensen/encoder.js';
import { pySplit } from '../../../src/util/pystr.js';
import type { Matrix } from '../../../src/util/matrix.js';
import { maxAbsDiff, worseOf, worstAbsDiff } from '../../helpers/diff.js';

// Vocabulary expansion from a GloVe `.h5` in GenSen's converter layout (UTF-8 bytes under HDF5's
// ASCII character set) against the original's expansion computed from that file with h5py,
// scikit-learn and PyTorch: scripts/fixtures/make_gensen_glove_h5.py. The `.txt` of the same
// vectors must give the same numbers, bit for bit.
const FIX = join(process.cwd(), 'test', 'fixtures', 'gensen');
const EXP = join(FIX, 'expected');
const FILES = ['py2-glove8u.txt', 'py2-glove8u.h5', 'py2-glove8u.fixed.h5'];
const TOL = 2e-5;
type VocabText = NonNullable<GensenEncoderOptions['vocabText']>;

interface Case {
  last?: number[][];
  max?: number[][];
  expansion: { shared: number; sharedNonAscii: number; rank: number; own: number; regressed: number; unk: number }[];
}
const expected = JSON.parse(readFileSync(join(EXP, 'py2-glove8u-encodings.json'), 'utf8')) as {
  sentences: string[];
  batchSize: number;
  encodeVocab: string[];
  cases: Record<string, Case>;
};
const batches: string[][] = [];
for (let i = 0; i < expected.sentences.length; i += expected.batchSize) batches.push(expected.sentences.slice(i, i + expected.batchSize));

const MODELS: Record<string, Pick<GensenEncoderOptions, 'prefix1' | 'prefix2'>> = {
  py2a: { prefix1: 'py2a' },
  py2b: { prefix1: 'py2b' },
  'py2a+py2b': { prefix1: 'py2a', prefix2: 'py2b' },
};

function rowsOf(ms: Matrix[]): number[] {
  return ms.flatMap((m) => [...m.data]);
}

function compare(actual: Matrix[], want: number[][]): { diff: number; where: string } {
  const cols = actual[0]!.cols;
  assert.equal(cols, want[0]!.length, 'dim');
  const { diff, index } = worstAbsDiff(rowsOf(actual), want.flat());
  const r = Math.floor(index / cols);
  return { diff, where: `sentence ${r} (${JSON.stringify(expected.sentences[r])}) dim ${index % cols}` };
}

/** `encode --glove F --vocab words.json`: expansion to a word list, UTF-8 input. */
async function encodeRun(name: string, file: string, pool: 'max' | 'last'): Promise<{ out: Matrix[]; notes: string[] }> {
  const enc = await createGensenEncoder({ modelsDir: FIX, ...MODELS[name]!, pool, maxPool: 'faithful', glove: join(EXP, file) });
  try {
    await enc.expandTo(expected.encodeVocab, 'words.json');
    const out: Matrix[] = [];
    for (const b of batches) out.push((await enc.encodeText(b)).vectors);
    return { out, notes: enc.notes() };
  } finally {
    await enc.close();
  }
}

/** The evaluate path: gensen_senteval.py's prepare (task vocabulary) and batcher. */
async function sentevalRun(name: string, file: string, task: string, vocabText: VocabText): Promise<{ out: Matrix[]; notes: string[] }> {
  const enc = await createGensenEncoder({
    modelsDir: FIX,
    ...MODELS[name]!,
    pool: 'best',
    maxPool: 'faithful',
    glove: join(EXP, file),
    senteval: true,
    vocabText,
  });
  try {
    await enc.prepare({ taskId: task, samples: expected.sentences.map((s) => pySplit(s)) });
    const out: Matrix[] = [];
    for (const b of batches) out.push(await enc.encode(b.map((s) => pySplit(s))));
    return { out, notes: enc.notes() };
  } finally {
    await enc.close();
  }
}

test('the reference fits on non-ASCII words shared with each model, and expands non-ASCII task words', () => {
  assert.ok(Object.keys(expected.cases).length > 0, 'the fixture holds cases');
  for (const [k, c] of Object.entries(expected.cases)) {
    assert.ok(c.expansion.length > 0, `${k}: an expansion to check`);
    for (const e of c.expansion) {
      assert.ok(e.sharedNonAscii > 0, k);
      assert.equal(e.rank, 8, k);
    }
  }
  assert.ok(expected.encodeVocab.some((w) => /[^\x00-\x7f]/.test(w) && w === 'mañana'));
});

for (const name of Object.keys(MODELS)) {
  for (const pool of ['max', 'last'] as const) {
    test(`encode --glove --vocab ${name} (${pool}): .txt, glove2h5.py's .h5 and a fixed-length .h5 give identical vectors, equal to the original's within ${TOL}`, async (t) => {
      const want = expected.cases[`encode@${name}`]![pool]!;
      const runs = await Promise.all(FILES.map((f) => encodeRun(name, f, pool)));
      runs.forEach((r, i) => {
        const { diff, where } = compare(r.out, want);
        t.diagnostic(`${FILES[i]}: max abs diff from the original ${diff.toExponential(2)}`);
        assert.ok(diff <= TOL, `${FILES[i]}: ${diff} at ${where}`);
        assert.ok(!r.notes.some((n) => /latin-1/.test(n)), r.notes.join('\n'));
      });
      for (const r of runs.slice(1)) assert.equal(maxAbsDiff(rowsOf(r.out), rowsOf(runs[0]!.out)), 0, 'h5 and txt identical');
    });
  }
}

for (const task of ['MR', 'TREC']) {
  for (const vocabText of ['python2', 'utf8'] as const) {
    test(`evaluate path ${task} --vocab-text ${vocabText}: the three GloVe files give identical vectors, equal to the original's within ${TOL}`, async (t) => {
      for (const name of Object.keys(MODELS)) {
        const c = expected.cases[`${name}@${task}@${vocabText}`]!;
        const want = (task === 'MR' ? c.max : c.last)!;
        const runs: Matrix[][] = [];
        let worst = { diff: 0, where: '' };
        for (const f of FILES) {
          const r = await sentevalRun(name, f, task, vocabText);
          const d = compare(r.out, want);
          assert.ok(d.diff <= TOL, `${name} ${f}: ${d.diff} at ${d.where}`);
          worst = worseOf(worst, d);
          runs.push(r.out);
        }
        for (const r of runs.slice(1)) assert.equal(maxAbsDiff(rowsOf(r), rowsOf(runs[0]!)), 0, `${name}: h5 and txt identical`);
        t.diagnostic(`${name}: max abs diff from the original ${worst.diff.toExponential(2)} (${worst.where})`);
      }
    });
  }
}

test("an .h5 word that is not UTF-8 reaches the encoder's notes, once", async () => {
  const notes: string[] = [];
  const enc = await createGensenEncoder({
    modelsDir: FIX,
    prefix1: 'py2a',
    pool: 'max',
    maxPool: 'faithful',
    glove: join(EXP, 'glove-latin1.h5'),
    onNote: (n) => notes.push(n),
  });
  try {
    await enc.expandTo(['café', 'naïve', 'plain'], 'words');
    const want = /glove-latin1\.h5: 2 words of 'words_flatten' are not valid UTF-8 and were read as latin-1/;
    assert.equal(enc.notes().filter((n) => want.test(n)).length, 1, enc.notes().join('\n'));
    assert.equal(notes.filter((n) => want.test(n)).length, 1);
    // A second expansion reads the file again: the note is not repeated.
    await enc.expandTo(['café', 'naïve', 'plain', 'other'], 'more words');
    assert.equal(enc.notes().filter((n) => want.test(n)).length, 1);
  } finally {
    await enc.close();
  }
});
