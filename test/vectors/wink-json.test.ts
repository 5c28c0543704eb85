/**
 * The embedded vectors' file read from its bytes (src/vectors/wink-json.ts) against JSON.parse,
 * the way the package was read before: the same words and the same float32 bits, or no answer
 * (the caller then uses JSON.parse) for anything outside the package's layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWinkJson, readNumbers } from '../../src/vectors/wink-json.js';
import { readPackageVectors } from '../../src/vectors/embedded.js';
import { Rng } from '../../src/util/rng.js';

/** What JSON.parse gives: each word's first `dimensions` values, as float32. */
function viaJsonParse(text: string): { dim: number; words: string[]; vectors: Float32Array } {
  const raw = JSON.parse(text) as { dimensions: number; words: string[]; vectors: Record<string, number[]> };
  const dim = raw.dimensions;
  const vectors = new Float32Array(raw.words.length * dim);
  raw.words.forEach((w, i) => {
    for (let j = 0; j < dim; j++) vectors[i * dim + j] = raw.vectors[w]![j]!;
  });
  return { dim, words: raw.words, vectors };
}

function assertSame(text: string, what: string): void {
  const fast = parseWinkJson(Buffer.from(text, 'utf8'));
  assert.ok(fast, `${what}: read from the bytes`);
  const ref = viaJsonParse(text);
  assert.equal(fast.dim, ref.dim, what);
  assert.deepEqual(fast.words, ref.words, what);
  assert.equal(fast.vectors.length, ref.vectors.length, what);
  const a = new Uint32Array(fast.vectors.buffer, fast.vectors.byteOffset, fast.vectors.length);
  const b = new Uint32Array(ref.vectors.buffer, ref.vectors.byteOffset, ref.vectors.length);
  for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i], `${what}: value ${i} (${fast.vectors[i]} vs ${ref.vectors[i]})`);
}

/** The package's layout: header, words, vectors (two bookkeeping values after each), unkVector. */
function packageLike(dim: number, words: string[], values: (w: string, i: number) => string[], order?: number[]): string {
  const entries = (order ?? words.map((_, i) => i)).map((i) => `${JSON.stringify(words[i])}:[${[...values(words[i]!, i), '1.5', String(i)].join(',')}]`);
  return `{"precision":8,"l2NormIndex":${dim},"wordIndex":${dim + 1},"size":${words.length},"dimensions":${dim},"words":${JSON.stringify(words)},"vectors":{${entries.join(',')}},"unkVector":[${new Array(dim).fill('0').join(',')},0,-1]}\n`;
}

test('random decimals of 1 to 19 digits, signs and exponents: the same float32 bits as JSON.parse', () => {
  const rng = new Rng(5, 1);
  const dim = 50;
  const words = Array.from({ length: 400 }, (_, i) => `w${i}`);
  const number = (): string => {
    const digits = 1 + Math.floor(rng.uniform(0, 19));
    let s = '';
    for (let k = 0; k < digits; k++) s += String(Math.floor(rng.uniform(0, 10)));
    const point = Math.floor(rng.uniform(0, digits + 1));
    let t = point === 0 ? `0.${s}` : point === digits ? s : `${s.slice(0, point)}.${s.slice(point)}`;
    t = t.replace(/^0+(?=\d)/, '');
    if (rng.uniform(0, 1) < 0.1)
      t = `${t}${rng.uniform(0, 1) < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(rng.uniform(0, 3))]}${Math.floor(rng.uniform(0, 40))}`;
    return rng.uniform(0, 1) < 0.5 ? `-${t}` : t;
  };
  assertSame(
    packageLike(dim, words, () => Array.from({ length: dim }, number)),
    'random decimals',
  );
});

test('each number is the double JSON.parse gives (before the float32 rounding, which would hide a last-bit error)', () => {
  const rng = new Rng(9, 1);
  const texts: string[] = [];
  for (let k = 0; k < 20000; k++) {
    const digits = 1 + Math.floor(rng.uniform(0, 17));
    let s = String(1 + Math.floor(rng.uniform(0, 9)));
    for (let d = 1; d < digits; d++) s += String(Math.floor(rng.uniform(0, 10)));
    const point = Math.floor(rng.uniform(0, digits));
    texts.push(`${point === 0 ? '0.' + s : s.slice(0, point) + '.' + s.slice(point)}`);
  }
  const text = `${texts.join(',')}]`;
  const out = new Float64Array(texts.length);
  assert.equal(readNumbers(Buffer.from(text), 0, out, 0, texts.length), text.length);
  texts.forEach((t, i) => assert.ok(Object.is(out[i], JSON.parse(t) as number), `${t}: ${out[i]} vs ${JSON.parse(t)}`));
});

test('edge values: zeros and negative zero, long fractions, integers, tiny and huge', () => {
  const vals = [
    '0',
    '-0',
    '0.0',
    '-0.0',
    '1',
    '-1',
    '0.1',
    '0.30000000000000004',
    '123456789012345',
    '1234567890123456789',
    '0.0000000000000000000001',
    '9.999999999999999e22',
    '1e-46',
    '3.4028235e38',
    '1e39',
    '-2.5E-3',
  ];
  assertSame(
    packageLike(vals.length, ['a', 'b'], () => vals),
    'edge values',
  );
});

test('keys: escapes, UTF-8, long ones, repeated ones (the last wins), an order other than the words, whitespace', () => {
  const words = ['the', 'say "hi"', 'back\\slash', 'café', '日本', 'x'.repeat(100), 'é'.repeat(40), 'tab\there', 'dup'];
  const v = (_w: string, i: number): string[] => [String(i / 7), String(-i), '2.5'];
  const text = packageLike(3, words, v, [8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assertSame(text, 'escaped and UTF-8 keys, reversed order');
  // "dup" given twice: JSON.parse keeps the second.
  assertSame(text.replace('"vectors":{', '"vectors":{"dup":[9,9,9,1,1],'), 'a repeated key');
  assertSame(text.replace(/,/g, ' ,\n ').replace(/:\[/g, ' : [ ').replace(/\]/g, ' ] '), 'whitespace around every token');
  assertSame('{"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2],"b":[3,4.5]}}', 'the vectors last');
});

test('outside the package layout: no answer (the caller uses JSON.parse), and readPackageVectors still reads it', () => {
  const good = packageLike(2, ['a', 'b'], () => ['1', '2']);
  for (const [what, text] of [
    ['a vector shorter than the dimension', good.replace('"a":[1,2,1.5,0]', '"a":[1]')],
    ['a string among the numbers', good.replace('"a":[1,2,', '"a":["1",2,')],
    ['a leading zero', good.replace('"a":[1,', '"a":[01,')],
    ['a bare fraction', good.replace('"a":[1,', '"a":[.5,')],
    ['a trailing point', good.replace('"a":[1,', '"a":[1.,')],
    ['a word without a vector', good.replace('"words":["a","b"]', '"words":["a","b","c"]')],
    ['vectors given again after', good.replace('"unkVector"', '"vectors":{},"unkVector"')],
    ['words given again after', good.replace('"unkVector"', '"words":["b","a"],"unkVector"')],
    ['the dimension given again after', good.replace('"unkVector"', '"dimensions":1,"unkVector"')],
    ['vectors given before, as an array', good.replace('"precision"', '"vectors":[],"precision"')],
    ["something after the file's object", `${good.trimEnd()}\u00a0`],
    ['no vectors object', good.replace('"vectors":{', '"vectorz":{')],
  ] as const) {
    assert.equal(parseWinkJson(Buffer.from(text)), undefined, what);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gensen-eval-wink-'));
  try {
    // The vectors before the words: JSON.parse's path gives the same as the bytes' path would.
    const moved = `{"dimensions":2,"vectors":{"a":[1,2],"b":[0.5,-0.25]},"words":["a","b"]}`;
    const path = join(dir, 'v.json');
    writeFileSync(path, moved);
    const r = readPackageVectors(path);
    assert.deepEqual(Array.from(r.vectors), [1, 2, 0.5, -0.25]);
    assert.deepEqual(r.words, ['a', 'b']);
    // A damaged file: one line naming it and the remedy, not a parser's stack.
    writeFileSync(path, '{"dimensions":2,"words":["a"],"vectors":{"a":[1,');
    assert.throws(
      () => readPackageVectors(path),
      (e: Error) => e.name === 'UserError' && e.message.startsWith(`${path}: not valid JSON`) && e.message.endsWith('reinstall the package (npm ci)'),
    );
    writeFileSync(path, '{"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2]}}');
    assert.throws(() => readPackageVectors(path), /no 2-d vector for word #1; reinstall the package/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
