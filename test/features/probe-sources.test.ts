import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseSource, materialize, storeMatrix, storeSource, type FeatureScheme } from '../../src/features/source.js';
import { decodeTable } from '../../src/features/dtype.js';
import { SentenceStore } from '../../src/features/store.js';
import { fitClassifier, type ClassifierSettings } from '../../src/probe/classifier.js';
import { fitRelatedness } from '../../src/probe/relatedness.js';
import { encodeTaiAll } from '../../src/probe/tai.js';
import { WasmLinear } from '../../src/probe/wasm/linear.js';
import { Rng } from '../../src/util/rng.js';

const SETTINGS: ClassifierSettings = {
  nhid: 0,
  dropout: 0,
  optim: 'adam',
  batchSize: 16,
  tenacity: 2,
  epochSize: 2,
  maxEpoch: 30,
  lossReduction: 'mean',
};

/** A store of n sentences and m pairs over it, with labels that depend on the pair. */
function pairTask(n: number, dim: number, m: number, C: number, seed: number) {
  const rng = new Rng(seed, 9);
  const data = Float32Array.from({ length: n * dim }, () => rng.normal());
  const store = SentenceStore.create(n, dim, 'float32', dim * 4 * 7);
  store.setRows(0, data);
  const a = Int32Array.from({ length: m }, () => rng.int(n));
  const b = Int32Array.from({ length: m }, () => rng.int(n));
  const y = Int32Array.from({ length: m }, (_, i) => (data[a[i]! * dim]! * data[b[i]! * dim]! > 0 ? 1 : 0) + (C > 2 && i % 3 === 0 ? 1 : 0));
  return { store, a, b, y };
}

const bits = (x: Float64Array | Int32Array): number[] => [...new Uint32Array(x.buffer, x.byteOffset, x.byteLength / 4)];

for (const scheme of ['absdiff-prod', 'nli'] as FeatureScheme[]) {
  for (const [C, nhid, simd] of [
    [2, 0, true],
    [3, 0, true],
    [2, 0, false],
    [3, 0, false],
    [3, 4, true],
  ] as const) {
    test(`classifier on ${scheme} pairs from the store = on materialised features (C=${C}, nhid=${nhid}, simd=${simd})`, () => {
      const t = pairTask(60, 9, 300, C, 7 + C);
      const pm = storeMatrix(scheme, t.store, t.a, t.b);
      const dense = materialize(pm);
      const train = Int32Array.from({ length: 240 }, (_, i) => i);
      const dev = Int32Array.from({ length: 60 }, (_, i) => 240 + i);
      const settings = { ...SETTINGS, nhid, dropout: nhid ? 0.1 : 0 };
      const opts = { nclasses: C, l2: 1e-4, seed: 5, settings, simd };
      const want = fitClassifier({ X: dense.data, cols: dense.cols, y: t.y }, train, { rows: dev }, opts);
      const got = fitClassifier({ X: storeSource(scheme, t.store, t.a, t.b), cols: pm.cols, y: t.y }, train, { rows: dev }, opts);
      assert.equal(got.bestAccuracy, want.bestAccuracy);
      assert.deepEqual(got.stopping, want.stopping);
      assert.deepEqual(bits(got.net.params), bits(want.net.params));
    });
  }
}

test('relatedness on pairs from the store = on materialised features (SIMD and scalar)', () => {
  const t = pairTask(50, 8, 200, 2, 3);
  const rng = new Rng(2, 2);
  const scores = Float64Array.from({ length: 200 }, () => 1 + 4 * rng.uniform(0, 1));
  const targets = encodeTaiAll(scores);
  const pm = storeMatrix('absdiff-prod', t.store, t.a, t.b);
  const dense = materialize(pm);
  const [train, dev, test] = [
    [0, 140],
    [140, 170],
    [170, 200],
  ].map(([f, e]) => Int32Array.from({ length: e! - f! }, (_, i) => f! + i));
  for (const simd of [true, false]) {
    const o = { seed: 3, lossReduction: 'mean' as const, epochsPerRound: 5, maxEpoch: 40, simd };
    const want = fitRelatedness({ X: dense.data, cols: dense.cols, targets, scores }, train!, dev!, test!, o);
    const got = fitRelatedness({ X: storeSource('absdiff-prod', t.store, t.a, t.b), cols: pm.cols, targets, scores }, train!, dev!, test!, o);
    assert.equal(got.devcorr, want.devcorr);
    assert.deepEqual(bits(got.testPredictions), bits(want.testPredictions));
  }
});

test('kernels: streaming rows through a block gives what binding the whole matrix gives', () => {
  const rng = new Rng(8, 8);
  const n = 700;
  const d = 21;
  const X = Float32Array.from({ length: n * d }, () => rng.normal());
  const rows = Int32Array.from({ length: 600 }, () => rng.int(n));
  const run = (bind: (e: WasmLinear) => void) => {
    const e = WasmLinear.create()!;
    bind(e);
    e.reserve(3, 512);
    for (let i = 0; i < e.w.length; i++) e.w[i] = Math.sin(i);
    const out: number[] = [];
    for (let s = 0; s < rows.length; s += 512) {
      const nb = Math.min(512, rows.length - s);
      e.stage(rows, s, nb);
      e.forward(nb, 3);
      out.push(...e.z.subarray(0, nb * 3));
      e.g.fill(0);
      e.backward(nb, 3);
      out.push(...e.g);
    }
    return out;
  };
  assert.deepEqual(
    run((e) => e.bindSource(denseSource(X, d), 512)),
    run((e) => e.bind(X, d)),
  );
});

/**
 * Each value's bits, except that any NaN is 'NaN': a half-width store rounds values beyond its range
 * to ±Infinity, and a product ∞·0 is a NaN whose sign bit x64's SIMD sets and JavaScript's does not.
 */
const comparable = (x: Float32Array): (number | string)[] => [...new Uint32Array(x.slice().buffer)].map((b, i) => (Number.isNaN(x[i]) ? 'NaN' : b));

test('kernels: a streamed pair minibatch is combined by the pair kernels into the bytes gather writes', () => {
  const rng = new Rng(4, 4);
  // Values where a float32 difference or product could round, overflow, underflow or lose a sign.
  const special = [0, -0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1 + 2 ** -23, -(1 + 2 ** -22), 16777217, 1e-20, 7e19];
  for (const scheme of ['absdiff-prod', 'nli'] as FeatureScheme[]) {
    for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
      // d mod 4 = 1, 3, 0 and 2: the SIMD part, the one-lane tail, and both; pad columns or none.
      for (const dim of [1, 3, 4, 6, 13, 64]) {
        const n = 40;
        const data = Float32Array.from({ length: n * dim }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length]! : rng.normal() * 10 ** rng.int(6)));
        const store = SentenceStore.create(n, dim, dtype, dim * 4 * 7);
        store.setRows(0, data);
        const m = 90;
        const a = Int32Array.from({ length: m }, () => rng.int(n));
        const b = Int32Array.from({ length: m }, () => rng.int(n));
        const src = storeSource(scheme, store, a, b);
        // Only the pair vectors reach the engine: a gather call would fail the test.
        const viaKernels = {
          rows: src.rows,
          cols: src.cols,
          pairs: src.pairs!,
          gather: () => assert.fail('stage gathered instead of combining with the pair kernels'),
        };
        const e = WasmLinear.create()!;
        e.bindSource(viaKernels, 32);
        e.reserve(2, 32);
        const rows = Int32Array.from({ length: m }, () => rng.int(m));
        const want = new Float32Array(32 * e.dp);
        for (let s = 0; s < m; s += 32) {
          const nb = Math.min(32, m - s);
          // Whatever the block held before (the last minibatch's rows, other scratch) is overwritten.
          e.stagedBlock(nb).fill(Number.NaN);
          e.stage(rows, s, nb);
          src.gather(rows, s, s + nb, want, e.dp);
          assert.deepEqual(comparable(e.stagedBlock(nb)), comparable(want.subarray(0, nb * e.dp)), `${scheme}, ${dtype}, d = ${dim}, rows ${s}..${s + nb}`);
        }
      }
    }
  }
});

test("kernels: every float16 and bfloat16 code a half-width store can hold is widened to the decoding table's float32", () => {
  // One pair of rows holding all 65,536 codes (u the low half, v the high), staged under the NLI
  // scheme, whose first two blocks are u and v as they are.
  const dim = 32768;
  for (const dtype of ['float16', 'bfloat16'] as const) {
    const store = SentenceStore.create(2, dim, dtype);
    const codes = store.payload.chunks[0] as Uint16Array;
    for (let c = 0; c < 65536; c++) codes[c] = c;
    const src = storeSource('nli', store, Int32Array.of(0), Int32Array.of(1));
    const e = WasmLinear.create()!;
    e.bindSource({ rows: 1, cols: src.cols, pairs: src.pairs!, gather: () => assert.fail('stage gathered') }, 1);
    e.reserve(2, 1);
    e.stage(Int32Array.of(0), 0, 1);
    const got = new Uint32Array(e.stagedBlock(1).slice(0, 2 * dim).buffer);
    const want = new Uint32Array(decodeTable(dtype).slice().buffer);
    // The table's own values at codes IEEE 754 defines, so that the comparison is with binary16
    // and bfloat16 themselves, not only with the table.
    const ieee: [number, number][] =
      dtype === 'float16'
        ? [
            [0x3c00, 1],
            [0x7bff, 65504],
            [0x0001, 2 ** -24],
            [0x0400, 2 ** -14],
            [0x8000, -0],
            [0xfc00, -Infinity],
            [0xc000, -2],
          ]
        : [
            [0x3f80, 1],
            [0x7f7f, 3.3895313892515355e38],
            [0x0001, 2 ** -133],
            [0x8000, -0],
            [0xff80, -Infinity],
            [0xc000, -2],
          ];
    for (const [c, v] of ieee) assert.ok(Object.is(e.stagedBlock(1)[c], v), `${dtype} code 0x${c.toString(16)} is ${v}`);
    assert.ok(Number.isNaN(e.stagedBlock(1)[dtype === 'float16' ? 0x7e00 : 0x7fc0]), `${dtype}: a NaN code stays NaN`);
    const wrong = [...want.keys()].filter((c) => got[c] !== want[c]);
    assert.deepEqual(
      wrong.slice(0, 5).map((c) => [c, got[c], want[c]]),
      [],
      `${dtype}: ${wrong.length} codes decoded wrongly`,
    );
  }
});
