import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { pySplit, pySplitlines, pyStrip } from '../src/util/pystr.js';

test('Rng is deterministic per seed and stream, and differs across them', () => {
  const a = new Rng(1111).permutation(50);
  const b = new Rng(1111).permutation(50);
  const c = new Rng(1112).permutation(50);
  const d = new Rng(1111, 1).permutation(50);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, d);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test('Rng.next is uniform in [0,1)', () => {
  const r = new Rng(7);
  let sum = 0;
  const n = 100000;
  for (let i = 0; i < n; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
});

test('Python string semantics: split, strip, splitlines', () => {
  assert.deepEqual(pySplit('  a\tb\x85c\u00a0d\x1ce  '), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(pySplit('a\ufeffb'), ['a\ufeffb']);
  assert.deepEqual(pySplit(''), []);
  assert.equal(pyStrip('\x1f x \r\n'), 'x');
  assert.deepEqual(pySplitlines('a\r\nb\n\nc\x85d\n'), ['a', 'b', '', 'c', 'd']);
  assert.deepEqual(pySplitlines(''), []);
});
