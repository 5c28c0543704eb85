import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGensenEncoder } from '../../../src/encoders/gensen/factory.js';
import type { GensenEncoderOptions } from '../../../src/encoders/gensen/encoder.js';
import { loadGensenModel } from '../../../src/encoders/gensen/model-files.js';
import { lengthBuckets } from '../../../src/encoders/gensen/buckets.js';
import { loadWordVectors } from '../../../src/vectors/glove.js';
import { applyLinearMap, fitLinearMap } from '../../../src/vectors/expansion.js';
import { bestPoolingFor } from '../../../src/encoders/gensen/task-hints.js';
import { pySplit } from '../../../src/util/pystr.js';
import type { Matrix } from '../../../src/util/matrix.js';

const FIX = join(process.cwd(), 'test', 'fixtures', 'gensen');
const EXP = join(FIX, 'expected');

interface CaseOut {
  last: number[][];
  max: number[][];
  maxMasked: number[][];
  states?: number[][][];
  expansion?: { shared: number; vocab: string[]; table: number[][] }[];
}
const expected = JSON.parse(readFileSync(join(EXP, 'encodings.json'), 'utf8')) as {
  sentences: string[];
  batchSize: number;
  cases: Record<string, CaseOut>;
};
const batches: string[][] = [];
for (let i = 0; i < expected.sentences.length; i += expected.batchSize) batches.push(expected.sentences.slice(i, i + expected.batchSize));

const TOL = 1e-5;

function assertRowsClose(actual: Matrix, want: number[][], offset: number, what: string): void {
  assert.equal(actual.cols, want[0]!.length, `${what}: dim`);
  for (let r = 0; r < actual.rows; r++) {
    const w = want[offset + r]!;
    for (let c = 0; c < actual.cols; c++) {
      const d = Math.abs(actual.data[r * actual.cols + c]! - w[c]!);
      assert.ok(d <= TOL, `${what}: sentence ${offset + r} dim ${c}: ${actual.data[r * actual.cols + c]} vs ${w[c]} (diff ${d})`);
    }
  }
}

const MODELS: Record<string, Pick<GensenEncoderOptions, 'prefix1' | 'prefix2'>> = {
  tiny1: { prefix1: 'tiny1' },
  tiny2: { prefix1: 'tiny2' },
  'tiny1+tiny2': { prefix1: 'tiny1', prefix2: 'tiny2' },
};

for (const [name, prefixes] of Object.entries(MODELS)) {
  const want = expected.cases[name]!;
  for (const [pool, maxPool, key] of [
    ['last', 'faithful', 'last'],
    ['max', 'faithful', 'max'],
    ['max', 'masked', 'maxMasked'],
  ] as const) {
    test(`gensen ${name}: ${pool}${pool === 'max' ? ` (${maxPool})` : ''} pooling matches PyTorch`, async () => {
      const enc = await createGensenEncoder({ modelsDir: FIX, ...prefixes, pool, maxPool });
      try {
        let off = 0;
        for (const b of batches) {
          const { vectors } = await enc.encodeText(b);
          assertRowsClose(vectors, want[key], off, `${name} ${key}`);
          off += b.length;
        }
      } finally {
        await enc.close();
      }
    });
  }

  test(`gensen ${name}: per-token states match PyTorch, and length bucketing keeps batch semantics`, async () => {
    const enc = await createGensenEncoder({ modelsDir: FIX, ...prefixes, pool: 'max', maxPool: 'faithful', maxChunk: 2 });
    try {
      let off = 0;
      for (const b of batches) {
        const { vectors, states } = await enc.encodeText(b, true);
        // Sub-batches of 2 still pool as if padded to the longest of the whole batch of 8.
        assertRowsClose(vectors, want.max, off, `${name} max, chunks of 2`);
        assert.ok(states);
        for (let i = 0; i < b.length; i++) {
          const ws = want.states![off + i]!;
          assert.equal(states.lengths[i], ws.length);
          const dim = ws[0]!.length;
          for (let t = 0; t < ws.length; t++) {
            for (let c = 0; c < dim; c++) assert.ok(Math.abs(states.states[i]![t * dim + c]! - ws[t]![c]!) <= TOL, `state ${off + i} t${t} c${c}`);
          }
        }
        off += b.length;
      }
    } finally {
      await enc.close();
    }
  });
}

for (const task of ['MR', 'TREC'] as const) {
  for (const file of ['tiny_glove.txt', 'tiny_glove.txt.gz', 'tiny_glove.h5']) {
    test(`gensen tiny1+tiny2, ${task} with vocabulary expansion from ${file}: best pooling matches PyTorch + sklearn`, async () => {
      const enc = await createGensenEncoder({
        modelsDir: FIX,
        prefix1: 'tiny1',
        prefix2: 'tiny2',
        pool: 'best',
        maxPool: 'faithful',
        glove: join(EXP, file),
        senteval: true,
        // The reference (make_gensen_expected.py) matches words as Python 3 text: the clean variant.
        vocabText: 'utf8',
      });
      try {
        const samples = expected.sentences.map((s) => pySplit(s));
        const key = await enc.prepare({ taskId: task, samples });
        assert.match(key, /^[0-9a-f]{64}$/);
        assert.equal(enc.pooling, bestPoolingFor(task));
        const want = expected.cases[`tiny1+tiny2@${task}`]!;
        let off = 0;
        for (const b of batches) {
          const m = await enc.encode(b.map((s) => pySplit(s)));
          assertRowsClose(m, task === 'MR' ? want.max : want.last, off, `${task} ${file}`);
          off += b.length;
        }
        assert.ok(enc.notes().some((n) => n.includes(file)));
      } finally {
        await enc.close();
      }
    });
  }
}

test('the expanded embedding tables match sklearn LinearRegression predictions', async () => {
  const glove = await loadWordVectors(join(EXP, 'tiny_glove.txt'), { keep: () => true });
  assert.equal(glove.skippedLines, 1, 'the "new york" line has too many fields');
  for (const [i, prefix] of ['tiny1', 'tiny2'].entries()) {
    const model = await loadGensenModel(FIX, prefix);
    const info = expected.cases['tiny1+tiny2@MR']!.expansion![i]!;
    const E = model.weights.embDim;
    const emb = model.weights.tensors.get('src_embedding.weight')!.data;
    const shared = [...model.word2id.keys()].filter((w) => glove.index.has(w));
    assert.equal(shared.length, info.shared);
    const X = new Float32Array(shared.length * glove.dim);
    const Y = new Float32Array(shared.length * E);
    shared.forEach((w, r) => {
      const g = glove.index.get(w)!;
      X.set(glove.vectors.subarray(g * glove.dim, (g + 1) * glove.dim), r * glove.dim);
      const id = model.word2id.get(w)!;
      Y.set(emb.subarray(id * E, (id + 1) * E), r * E);
    });
    const map = await fitLinearMap(X, Y, shared.length, glove.dim, E);
    let regressed = 0;
    info.vocab.forEach((w, row) => {
      if (model.word2id.has(w) || !glove.index.has(w)) return;
      regressed++;
      const out = new Float32Array(E);
      const g = glove.index.get(w)!;
      applyLinearMap(map, glove.vectors.subarray(g * glove.dim, (g + 1) * glove.dim), out);
      for (let c = 0; c < E; c++) assert.ok(Math.abs(out[c]! - info.table[row]![c]!) <= TOL, `${prefix} ${w}[${c}]`);
    });
    assert.ok(regressed >= 5, `${prefix}: only ${regressed} regressed words`);
  }
});

test('length buckets cover every sentence once, longest first', () => {
  const lens = [3, 40, 5, 5, 38, 2, 39, 7];
  const chunks = lengthBuckets(lens, 3);
  assert.deepEqual(
    chunks.flat().sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.deepEqual(chunks[0], [1, 6, 4]);
  for (const c of chunks) assert.ok(c.length <= 3);
});

test('best pooling follows gensen_senteval.py', () => {
  for (const t of ['MR', 'CR', 'SUBJ', 'MPQA']) assert.equal(bestPoolingFor(t), 'max');
  for (const t of ['TREC', 'SST2', 'MRPC', 'SICKEntailment', 'STSBenchmark']) assert.equal(bestPoolingFor(t), 'last');
});

test('missing model files are a one-line user error naming both files', async () => {
  await assert.rejects(createGensenEncoder({ modelsDir: FIX, prefix1: 'nli_large', pool: 'last', maxPool: 'faithful' }), (e: Error) => {
    assert.equal(e.name, 'UserError');
    assert.match(e.message, /nli_large\.model/);
    assert.match(e.message, /nli_large_vocab\.pkl/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});
