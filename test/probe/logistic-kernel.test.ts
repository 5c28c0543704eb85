/**
 * The two-class coefficient kernel (src/probe/wasm/logistic-kernels.ts) replaced a JavaScript loop
 * over Math.exp; every logistic number stays bit-identical only if it gives the loop's bits. Held
 * here to V8's Math.exp (fdlibm) and to that loop, on random values and on every branch point.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WasmLinear } from '../../src/probe/wasm/linear.js';
import { Rng } from '../../src/util/rng.js';

function engine(rows: number, C: number): WasmLinear {
  const e = WasmLinear.create();
  assert.ok(e, 'wasm SIMD is available on the supported Node versions');
  e.bind(new Float32Array(8), 8);
  e.reserve(C, rows);
  return e;
}

const fromBits = (hi: number, lo: number): number => {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, hi >>> 0);
  v.setUint32(4, lo >>> 0);
  return v.getFloat64(0);
};

/** The loop the kernel replaced (ProbeNet.kernelCoefficients, two classes, no loss). */
function loop(z: Float32Array, stride: number, row: number, y: ArrayLike<number>, nb: number, db: number, scale: number): Float64Array {
  const g = new Float64Array(nb);
  for (let k = 0; k < nb; k++) {
    const t = db + z[k * stride + row]!;
    const yi = y[k]!;
    let p1: number;
    if (t >= 0) p1 = 1 / (1 + Math.exp(-t));
    else {
      const ex = Math.exp(t);
      p1 = ex / (1 + ex);
    }
    g[k] = (p1 - (yi === 1 ? 1 : 0)) * scale;
    z[k * stride + row] = g[k]!;
  }
  return g;
}

function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: (i: number) => string): void {
  let bad = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      if (bad++ === 0) first = `${what(i)}: kernel ${got[i]}, expected ${want[i]}`;
    }
  }
  assert.equal(bad, 0, `${bad} of ${want.length} differ; first ${first}`);
}

test('the kernel exponential is Math.exp bit for bit on x <= 0', () => {
  const e = engine(4096, 1);
  const rng = new Rng(7);
  const xs: number[] = [0, -0, -1, -0.5, -1e-300, -5e-324, -708, -708.39, -708.4, -709.78, -710, -745, -745.13, -745.14, -746, -1e4, -Infinity];
  // Around each of fdlibm's branch points (the high word of |x|), both sides, many low words.
  for (const hi of [0x3fd62e42, 0x3fd62e43, 0x3ff0a2b1, 0x3ff0a2b2, 0x3e2fffff, 0x3e300000, 0x40862e41, 0x40862e42, 0x40874910]) {
    for (let i = 0; i < 2000; i++) {
      xs.push(-fromBits(hi, i * 2147483), -fromBits(hi, 0xffffffff - i));
    }
  }
  for (let i = 0; i < 400_000; i++) {
    const s = i % 4;
    xs.push(s === 0 ? -rng.uniform(0, 40) : s === 1 ? -rng.uniform(0, 2) : s === 2 ? -rng.uniform(0, 800) : -rng.uniform(0, 1e-6));
  }
  const x = Float64Array.from(xs);
  sameBits(e.expNonPositive(x), x.map(Math.exp), (i) => `e^${x[i]}`);
  assert.ok(Number.isNaN(e.expNonPositive(Float64Array.of(Number.NaN))[0]), 'NaN stays NaN');
});

test('binaryCoefficients gives the loop’s coefficients, float32 logits and float64 g1, bit for bit', () => {
  const rng = new Rng(11);
  for (const [nb, stride, row] of [
    [64, 1, 0],
    [63, 1, 0],
    [1, 1, 0],
    [64, 4, 0],
    [64, 4, 3],
    [61, 4, 2],
    [128, 24, 6],
  ] as const) {
    const e = engine(nb, stride);
    for (let rep = 0; rep < 200; rep++) {
      const spread = [0.1, 3, 30, 800][rep % 4]!;
      const z = Float32Array.from({ length: nb * stride }, () => rng.normal() * spread);
      const y = Int32Array.from({ length: nb }, () => (rng.uniform(0, 1) < 0.5 ? 0 : 1));
      const db = rep % 5 === 0 ? 0 : rng.normal() * spread;
      const scale = rep % 3 === 0 ? 1 : 1 / nb;
      e.z.set(z);
      e.stageLabels(
        y,
        Int32Array.from({ length: nb }, (_, k) => k),
        0,
        nb,
      );
      e.binaryCoefficients(nb, stride, row, db, scale);
      const want = loop(z, stride, row, y, nb, db, scale);
      assert.ok(want.every(Number.isFinite), 'the inputs give finite coefficients (a NaN on both sides would compare equal)');
      sameBits(e.g1.subarray(0, nb), want, (k) => `nb ${nb} stride ${stride} row ${row} rep ${rep} row ${k}`);
      sameBits(e.z.subarray(0, nb * stride), z, (i) => `logit buffer ${i} (nb ${nb} stride ${stride} row ${row})`);
    }
  }
});
