import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWordVectors } from '../../src/vectors/glove.js';
import { maxAbsDiff } from '../helpers/diff.js';

// GloVe `.h5` files written as GenSen's glove2h5.py writes them (UTF-8 bytes under HDF5's ASCII
// character set) and a fixed-length variant: scripts/fixtures/make_gensen_glove_h5.py.
const EXP = join(process.cwd(), 'test', 'fixtures', 'gensen', 'expected');

/** The text file read independently: its words (UTF-8) and numbers. */
function textTable(): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const line of readFileSync(join(EXP, 'py2-glove8u.txt'), 'utf8').split('\n')) {
    const parts = line.split(' ');
    if (parts.length > 1) m.set(parts[0]!, parts.slice(1).map(Number));
  }
  return m;
}

test("the fixture .h5 is in glove2h5.py's layout: UTF-8 bytes that h5wasm alone reads as latin-1", async () => {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const f = new h5wasm.File(join(EXP, 'py2-glove8u.h5'), 'r');
  try {
    const wf = f.get('words_flatten');
    assert.ok(wf instanceof h5wasm.Dataset);
    assert.equal(wf.metadata.cset, 0, 'ASCII character set');
    assert.equal(wf.metadata.vlen, true);
    const raw = wf.value as string;
    // What the reader used to look words up by: 'café' as 'cafÃ©', never found.
    assert.ok(raw.includes('cafÃ©') && !raw.includes('café'));
  } finally {
    f.close();
  }
});

for (const file of ['py2-glove8u.h5', 'py2-glove8u.fixed.h5']) {
  test(`${file}: every word decodes as UTF-8, with the same vectors as the .txt, no notes`, async () => {
    const want = textTable();
    const all = () => true;
    const [h5, txt] = await Promise.all([loadWordVectors(join(EXP, file), { keep: all }), loadWordVectors(join(EXP, 'py2-glove8u.txt'), { keep: all })]);
    assert.deepEqual(h5.words, [...want.keys()]);
    assert.deepEqual(h5.words, txt.words);
    for (const w of ['café', 'señor', '—', 'naïve', 'Über', 'déjà', '€', 'Café', 'mañana', 'über', 'crème']) assert.ok(h5.index.has(w), w);
    assert.equal(h5.dim, 8);
    // Identical, not merely close: the same float32 rows either way (NaN-safe comparison).
    assert.equal(maxAbsDiff(h5.vectors, txt.vectors), 0);
    assert.equal(maxAbsDiff(h5.vectors, [...want.values()].flat()), 0);
    assert.deepEqual(h5.notes ?? [], []);
  });
}

test('an .h5 word that is not valid UTF-8 is read as latin-1 and named in a note; one spelling a UTF-8 word of the file is left out', async () => {
  // Rows: b'caf\xc3\xa9', b'na\xefve', b'caf\xe9', b'plain'; row i is [3i, 3i+1, 3i+2] / 4.
  const v = await loadWordVectors(join(EXP, 'glove-latin1.h5'), { keep: () => true });
  assert.deepEqual(v.words, ['café', 'naïve', 'plain']);
  const row = (w: string) => [...v.vectors.subarray(v.index.get(w)! * 3, (v.index.get(w)! + 1) * 3)];
  assert.equal(maxAbsDiff(row('café'), [0, 0.25, 0.5]), 0, "café is the UTF-8 row, not the latin-1 b'caf\\xe9'");
  assert.equal(maxAbsDiff(row('naïve'), [0.75, 1, 1.25]), 0);
  assert.equal(v.notes?.length, 1);
  assert.match(
    v.notes![0]!,
    /glove-latin1\.h5: 2 words of 'words_flatten' are not valid UTF-8 and were read as latin-1 \('naïve', 'café'\); 1 of them spells a word the file also holds in UTF-8 and is left out/,
  );
});
