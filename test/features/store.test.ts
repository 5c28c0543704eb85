import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTable, overflowsAt, toBfloat16, toFloat16 } from '../../src/features/dtype.js';
import { denseSource, materialize, storeMatrix, storeSource } from '../../src/features/source.js';
import { SentenceStore } from '../../src/features/store.js';
import { pairFeatures } from '../helpers/pair-features.js';
import { Rng } from '../../src/util/rng.js';

/** Random float32 rows with the awkward values pair features must round exactly like numpy. */
function awkward(rows: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed, 3);
  const special = [0, -0, 1e-40, -1e-40, 3.4e38, -3.4e38, 1e-7, 1 + 2 ** -23, 16777217, 0.1];
  return Float32Array.from({ length: rows * dim }, (_, i) =>
    i % 7 === 0 ? special[i % special.length]! : rng.uniform(-3, 3) * 10 ** Math.floor(rng.uniform(-6, 6)),
  );
}

test('pair features gathered from the store equal the materialised ones bit for bit, chunked or not', () => {
  const dim = 13;
  const n = 97;
  const data = awkward(n, dim, 1);
  for (const chunkBytes of [2 ** 30, dim * 4 * 5]) {
    const store = SentenceStore.create(n, dim, 'float32', chunkBytes);
    store.setRows(0, data);
    if (chunkBytes < 2 ** 30) assert.ok(store.payload.chunks.length > 10, 'several chunks');
    const rng = new Rng(4, 1);
    const a = Int32Array.from({ length: 200 }, () => rng.int(n));
    const b = Int32Array.from({ length: 200 }, () => rng.int(n));
    const u = { rows: a.length, cols: dim, data: new Float32Array(a.length * dim) };
    const v = { rows: b.length, cols: dim, data: new Float32Array(b.length * dim) };
    a.forEach((r, i) => u.data.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
    b.forEach((r, i) => v.data.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
    for (const scheme of ['absdiff-prod', 'nli'] as const) {
      const want = pairFeatures(scheme, u, v);
      const got = materialize(storeMatrix(scheme, store, a, b));
      assert.equal(got.cols, want.cols);
      assert.deepEqual(new Uint32Array(got.data.buffer), new Uint32Array(want.data.buffer), scheme);
      // A gather of a few shuffled rows into a padded block: the same rows, zero padding.
      const src = storeSource(scheme, store, a, b);
      const rows = Int32Array.from([5, 199, 0, 42]);
      const stride = want.cols + 3;
      const blk = new Float32Array(rows.length * stride).fill(Number.NaN);
      src.gather(rows, 1, 4, blk, stride);
      for (let k = 1; k < 4; k++) {
        const o = (k - 1) * stride;
        assert.deepEqual([...blk.subarray(o, o + want.cols)], [...want.data.subarray(rows[k]! * want.cols, (rows[k]! + 1) * want.cols)]);
        assert.deepEqual([...blk.subarray(o + want.cols, o + stride)], [0, 0, 0]);
      }
    }
    assert.deepEqual(materialize(storeMatrix('single', store, a, a)).data, u.data);
  }
});

test('denseSource gathers rows with zero padding', () => {
  const X = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  const blk = new Float32Array(2 * 5).fill(9);
  denseSource(X, 3).gather(Int32Array.from([3, 1]), 0, 2, blk, 5);
  assert.deepEqual([...blk], [10, 11, 12, 0, 0, 4, 5, 6, 0, 0]);
});

test('storeMatrix refuses rows outside the store', () => {
  const store = SentenceStore.create(3, 2);
  assert.throws(() => storeMatrix('nli', store, Int32Array.from([0, 3]), Int32Array.from([1, 1])), /store row 3 outside 0..2/);
  assert.throws(() => storeMatrix('nli', store, Int32Array.from([0]), Int32Array.from([1, 1])), /1 left rows, 2 right rows/);
});

test('float16: every half value round-trips; rounding is to nearest even, with overflow and subnormals', () => {
  const t = decodeTable('float16');
  for (let h = 0; h < 65536; h++) {
    const x = t[h]!;
    if (Number.isNaN(x)) {
      assert.ok(Number.isNaN(t[toFloat16(x)]!));
      continue;
    }
    assert.equal(toFloat16(x), h, `bits ${h.toString(16)}`);
  }
  assert.equal(t[toFloat16(1 + 2 ** -11)], 1); // halfway between 1 and 1+2^-10: to even (1)
  assert.equal(t[toFloat16(1 + 3 * 2 ** -11)], 1 + 2 * 2 ** -10); // halfway, odd below: up
  assert.equal(t[toFloat16(65520)], Infinity);
  assert.equal(t[toFloat16(65519)], 65504);
  assert.equal(t[toFloat16(2 ** -25)], 0); // halfway to the smallest subnormal: to even (0)
  assert.equal(t[toFloat16(3 * 2 ** -26)], 2 ** -24);
  assert.equal(t[toFloat16(-2.5)], -2.5);
});

test('bfloat16: the top half of a float32, rounded to nearest even', () => {
  const t = decodeTable('bfloat16');
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (const bits of [0x3f800000, 0x3f808000, 0x3f818000, 0x3f80ffff, 0x7f7fffff, 0x00000001, 0xbf808001]) {
    u[0] = bits;
    const x = f[0]!;
    const hi = bits >>> 16;
    const lo = bits & 0xffff;
    const want = lo > 0x8000 || (lo === 0x8000 && (hi & 1) === 1) ? hi + 1 : hi;
    assert.equal(toBfloat16(x), want & 0xffff, bits.toString(16));
  }
  assert.equal(t[toBfloat16(1.5)], 1.5);
  assert.ok(Number.isNaN(t[toBfloat16(Number.NaN)]!));
});

test('a half-width store reads back the rounded values', () => {
  const data = Float32Array.from([1, 1 + 2 ** -11, -Math.PI, 70000]);
  for (const dtype of ['float16', 'bfloat16'] as const) {
    const s = SentenceStore.create(2, 2, dtype);
    s.setRows(0, data);
    assert.equal(s.bytes, 8);
    const enc = dtype === 'float16' ? toFloat16 : toBfloat16;
    const t = decodeTable(dtype);
    assert.deepEqual(
      [...s.slice(0, 2)],
      [...data].map((x) => t[enc(x)]!),
    );
  }
});

test('overflowsAt is where each half width starts storing ±Infinity', () => {
  const below = (x: number): number => {
    const f = new Float32Array([x]);
    new Uint32Array(f.buffer)[0]! -= 1;
    return f[0]!;
  };
  for (const [dtype, enc] of [
    ['float16', toFloat16],
    ['bfloat16', toBfloat16],
  ] as const) {
    const at = overflowsAt(dtype);
    for (const sign of [1, -1]) {
      assert.ok(Number.isFinite(decodeTable(dtype)[enc(sign * below(at))]!), `${dtype}: the float32 below ${sign * at} is finite`);
      assert.equal(decodeTable(dtype)[enc(sign * at)], sign * Number.POSITIVE_INFINITY, `${dtype}: ${sign * at} overflows`);
    }
  }
  assert.equal(overflowsAt('float32'), Number.POSITIVE_INFINITY);
});
