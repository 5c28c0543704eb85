import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWordVectors, type GloveProgress } from '../../src/vectors/glove.js';

const EXP = join(process.cwd(), 'test', 'fixtures', 'gensen', 'expected');

/** The fixture text parsed independently: word, then the numbers. */
function reference(): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const line of readFileSync(join(EXP, 'tiny_glove.txt'), 'utf8').split('\n')) {
    const parts = line.trim().split(/ +/);
    if (parts.length === 7) m.set(parts[0]!, parts.slice(1).map(Number));
  }
  return m;
}

for (const file of ['tiny_glove.txt', 'tiny_glove.txt.gz', 'tiny_glove.h5']) {
  test(`${file}: keeps only the requested words, exactly, with their vectors`, async () => {
    const ref = reference();
    const wanted = new Set(['film', 'Film', 'café', 'zebra', 'absent', 'new']);
    const progress: GloveProgress[] = [];
    const v = await loadWordVectors(join(EXP, file), { keep: (w) => wanted.has(w), onProgress: (p) => progress.push(p) });
    assert.equal(v.dim, 6);
    assert.deepEqual([...v.words].sort(), ['Film', 'café', 'film', 'zebra']);
    for (const w of v.words) {
      const row = v.vectors.subarray(v.index.get(w)! * 6, (v.index.get(w)! + 1) * 6);
      ref.get(w)!.forEach((x, i) => assert.ok(Math.abs(row[i]! - x) < 1e-6, `${file} ${w}[${i}]`));
    }
    assert.ok(progress.length >= 1);
    assert.equal(progress.at(-1)!.kept, 4);
  });
}

test('a missing or malformed vectors file is a user error', async () => {
  await assert.rejects(loadWordVectors(join(EXP, 'nope.txt'), { keep: () => true }), (e: Error) => e.name === 'UserError' && /nope\.txt/.test(e.message));
  await assert.rejects(loadWordVectors(join(EXP, 'encodings.json'), { keep: () => true }), (e: Error) => e.name === 'UserError');
});
