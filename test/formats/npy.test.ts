/**
 * `.npy` headers as NumPy writes them (fixtures written by NumPy itself: scripts/fixtures/make_npy_fixtures.py),
 * versions 1.0, 2.0 (4-byte header length) and 3.0 (UTF-8 header); the header is a dict, not text to
 * search; the data is exactly what the shape needs (issue 25, item 4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyHeader, readNpy } from '../../src/formats/npy.js';
import { repoRoot } from '../helpers/data.js';

const dir = join(repoRoot(), 'test', 'fixtures', 'npy');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { shape: number[]; values: number[]; i4: number[] };
const read = (name: string) => readNpy(readFileSync(join(dir, name)));

for (const v of ['v1', 'v2', 'v3']) {
  test(`npy: NumPy's format ${v.slice(1)}.0 file reads as NumPy reads it`, () => {
    const m = read(`${v}.npy`);
    assert.equal(m.dtype, '<f4');
    assert.deepEqual(m.shape, expected.shape);
    assert.deepEqual([...m.data], expected.values);
  });
}

test('npy: a 1-d int32 file written by NumPy', () => {
  const m = read('v1-i4.npy');
  assert.equal(m.dtype, '<i4');
  assert.deepEqual(m.shape, [3]);
  assert.deepEqual([...m.data], expected.i4);
});

test('npy: Fortran order, big-endian, trailing bytes and truncation are each refused as what they are', () => {
  assert.throws(() => read('fortran.npy'), /Fortran order \(fortran_order: True\)/);
  assert.throws(() => read('big-endian.npy'), /unsupported \.npy dtype '>f4'/);
  assert.throws(() => read('trailing.npy'), /^Error: 8 trailing bytes after the data of shape \(5, 4\)/);
  assert.throws(() => read('truncated.npy'), /^Error: truncated: 76 data bytes, shape \(5, 4\) of <f4 needs 80/);
});

/** A v1.0 file with a hand-written header (what NumPy would never write). */
function handMade(header: string, values: number[], version = 1): Uint8Array {
  const h = Buffer.from(header, 'latin1');
  const lenBytes = version === 1 ? 2 : 4;
  const out = Buffer.alloc(8 + lenBytes + h.length + values.length * 4);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(out);
  if (version === 1) out.writeUInt16LE(h.length, 8);
  else out.writeUInt32LE(h.length, 8);
  h.copy(out, 8 + lenBytes);
  values.forEach((x, i) => out.writeFloatLE(x, 8 + lenBytes + h.length + i * 4));
  return out;
}

test('npy: fortran_order is the key, never text elsewhere in the header', () => {
  // The old reader matched "'fortran_order': False" anywhere, here inside an extra key's value.
  const sneaky = `{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), 'note': "'fortran_order': False"}\n`;
  assert.throws(() => readNpy(handMade(sneaky, [1, 2, 3, 4])), /header keys are descr, fortran_order, note, shape/);
  const quoted = `{"descr": "<f4", "shape": (2,), "fortran_order": False}\n`;
  assert.deepEqual([...readNpy(handMade(quoted, [1, 2])).data], [1, 2]);
  assert.throws(() => readNpy(handMade(`{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,)}\n`, [1, 2])), /malformed \.npy header/);
  assert.throws(() => readNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (2)}\n`, [1, 2])), /a shape must be a tuple/);
  assert.throws(() => readNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\n`, [1, 2])), /text after the dict/);
  // Python 2's NumPy wrote longs; NumPy still reads them.
  assert.deepEqual(readNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 2L), }\n`, [5, 6])).shape, [1, 2]);
});

test('npy: versions other than 1.0, 2.0, 3.0 and oversized shapes are refused before any allocation', () => {
  assert.throws(() => readNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n`, [1], 4)), /version 4\.0 is not one this reader knows/);
  assert.throws(() => readNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}\n`, [1])), /too large/);
  const short = handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n`, [1], 2).subarray(0, 20);
  assert.throws(() => readNpy(short), /truncated \.npy header/);
});

test("npy: our writer's header round-trips (0-d, 1-d and 2-d shapes)", () => {
  for (const shape of [[], [3], [2, 3]]) {
    const h = npyHeader('<f4', shape);
    assert.equal(h.length % 64, 0);
    const n = shape.reduce((a, b) => a * b, 1);
    const buf = new Uint8Array(h.length + n * 4);
    buf.set(h);
    assert.deepEqual(readNpy(buf).shape, shape);
  }
});
