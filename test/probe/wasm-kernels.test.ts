import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam, RMSprop } from '../../src/probe/optim.js';
import { WasmLinear } from '../../src/probe/wasm/linear.js';
import { WasmOptimState } from '../../src/probe/wasm/optim.js';
import { Rng } from '../../src/util/rng.js';

const f = Math.fround;

/**
 * The float32 summation order the kernels promise (and which the PyTorch trajectory fixtures were
 * matched with): per output, lanes l = j mod 4 of two accumulators over j mod 8 < 4 and ≥ 4, summed
 * lane-wise, then lanes ((0 + 1) + 2) + 3.
 */
function refDot(w: Float32Array, wo: number, X: Float32Array, xo: number, dp: number): number {
  const a = [0, 0, 0, 0];
  const b = [0, 0, 0, 0];
  for (let j = 0; j < dp; j += 8) {
    for (let l = 0; l < 4; l++) {
      a[l] = f(a[l]! + f(w[wo + j + l]! * X[xo + j + l]!));
      b[l] = f(b[l]! + f(w[wo + j + 4 + l]! * X[xo + j + 4 + l]!));
    }
  }
  const s = a.map((v, l) => f(v + b[l]!));
  return f(f(f(s[0]! + s[1]!) + s[2]!) + s[3]!);
}

function setup(n: number, cols: number, C: number, nb: number, seed: number) {
  const rng = new Rng(seed);
  const X = Float32Array.from({ length: n * cols }, () => rng.normal());
  const e = WasmLinear.create();
  assert.ok(e, 'wasm SIMD is available on the supported Node versions');
  e.bind(X, cols);
  e.reserve(C, nb);
  for (let i = 0; i < e.w.length; i++) e.w[i] = i % e.dp < cols ? f(rng.normal()) : 0;
  const rows = Int32Array.from({ length: nb }, () => Math.floor(rng.uniform(0, n)));
  e.rows.set(rows);
  // The padded copy the kernels read, to build the reference from.
  const Xp = new Float32Array(n * e.dp);
  for (let i = 0; i < n; i++) Xp.set(X.subarray(i * cols, (i + 1) * cols), i * e.dp);
  return { e, rows, Xp, rng };
}

// Batch sizes around the 2- and 4-row groupings (tails of 0..3 rows), padded / unpadded widths,
// and long rows with one or two weight rows (the four-row forward) or more (forwardLead: four rows
// for the first weight row, then pairs; see WasmLinear.forward).
for (const [cols, C, nb] of [
  [13, 1, 1],
  [13, 3, 7],
  [64, 1, 8],
  [37, 6, 11],
  [200, 2, 64],
  [24, 5, 3],
  [1030, 1, 7],
  [1024, 2, 10],
  [1024, 3, 5],
  [1024, 4, 4],
  [1030, 4, 8],
  [1024, 5, 6],
  [1030, 3, 7],
  [2048, 12, 11],
  [1024, 3, 1],
] as const) {
  test(`forward and backward kernels follow the one-row summation order exactly (d=${cols}, C=${C}, ${nb} rows)`, () => {
    const { e, rows, Xp, rng } = setup(50, cols, C, nb, cols * 100 + nb);
    const dp = e.dp;
    // Both forms: for rows read in place and for rows in cache (they differ for long rows).
    for (const cached of [false, true]) {
      e.z.fill(Number.NaN);
      e.forward(nb, C, cached);
      // Finite sums: the equalities below would also hold between two NaNs.
      assert.ok(e.z.subarray(0, nb * C).every(Number.isFinite), 'finite logits');
      for (let k = 0; k < nb; k++) {
        for (let c = 0; c < C; c++) {
          assert.equal(e.z[k * C + c], refDot(e.w, c * dp, Xp, rows[k]! * dp, dp), `z[${k},${c}]${cached ? ', rows in cache' : ''}`);
        }
      }
    }
    const coef = Float32Array.from({ length: nb * C }, () => f(rng.normal()));
    e.z.set(coef);
    const g0 = Float32Array.from({ length: C * dp }, () => f(rng.normal()));
    e.g.set(g0);
    e.backward(nb, C);
    assert.ok(e.g.subarray(0, C * dp).every(Number.isFinite), 'finite gradient');
    const ref = g0.slice();
    for (let k = 0; k < nb; k++) {
      for (let c = 0; c < C; c++) {
        for (let j = 0; j < dp; j++) ref[c * dp + j] = f(ref[c * dp + j]! + f(coef[k * C + c]! * Xp[rows[k]! * dp + j]!));
      }
    }
    assert.deepEqual(e.g, ref);
  });
}

test('wasm Adam and RMSprop steps are bit-identical to the scalar loops', () => {
  assert.ok(WasmOptimState.create(3), 'wasm SIMD is available on the supported Node versions');
  for (const n of [1, 2, 7, 1001]) {
    for (const kind of ['adam', 'rmsprop'] as const) {
      const rng = new Rng(n);
      const make = (simd: boolean) => (kind === 'adam' ? new Adam(n, 1e-3, 1e-3, 0.9, 0.999, 1e-8, simd) : new RMSprop(n, 1e-3, 0.01, 0.99, 1e-8, simd));
      const fast = make(true);
      const slow = make(false);
      const pf = Float64Array.from({ length: n }, () => rng.normal());
      const ps = pf.slice();
      for (let s = 0; s < 30; s++) {
        const g = Float64Array.from({ length: n }, () => rng.normal() * 10 ** Math.floor(rng.uniform(-6, 1)));
        fast.step(pf, g);
        slow.step(ps, g);
      }
      assert.deepEqual(pf, ps, `${kind}, ${n} parameters`);
      assert.notDeepEqual(pf[0], 0);
    }
  }
});

// Values whose float32 rounding is delicate: ties, overflow, subnormals, signed zeros, NaN.
function awkward(rng: Rng, n: number): Float64Array {
  const special = [
    0,
    -0,
    1 + 2 ** -24,
    1 + 3 * 2 ** -24,
    -(1 + 2 ** -24),
    3.4028235677973366e38,
    3.5e38,
    -1e39,
    1e-45,
    7e-46,
    1.2e-38,
    -1e-40,
    2 ** -150,
    NaN,
    Infinity,
    -Infinity,
  ];
  return Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length]! : rng.normal() * 10 ** rng.int(8)));
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

// Odd widths take the JavaScript tail; padded widths leave the pad columns at zero.
for (const [d, C] of [
  [1, 2],
  [7, 2],
  [8, 2],
  [13, 3],
  [64, 5],
  [4096, 2],
  [4095, 3],
] as const) {
  test(`weight and gradient conversions are the scalar loops' bytes (d=${d}, ${C} classes)`, () => {
    const rng = new Rng(d * 10 + C);
    const e = WasmLinear.create()!;
    e.bind(new Float32Array(d), d);
    const binary = C === 2;
    const rowsOut = binary ? 1 : C;
    e.reserve(rowsOut, 4, C * d);
    const dp = e.dp;
    const p = awkward(rng, C * d + C);
    e.loadWeights(p, d, C, binary);
    const w = new Float32Array(rowsOut * dp);
    if (binary) for (let j = 0; j < d; j++) w[j] = p[d + j]! - p[j]!;
    else for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) w[c * dp + j] = p[c * d + j]!;
    sameBits(e.w, w, 'w');
    const G = Float32Array.from(awkward(rng, rowsOut * dp));
    e.g.set(G);
    const grad = new Float64Array(C * d + C).fill(0.5);
    e.storeGrad(grad, d, C, binary);
    const ref = new Float64Array(C * d + C).fill(0.5);
    if (binary) {
      for (let j = 0; j < d; j++) {
        ref[d + j] = G[j]!;
        ref[j] = -G[j]!;
      }
    } else for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) ref[c * d + j] = G[c * dp + j]!;
    sameBits(grad, ref, 'grad');
  });
}

test('the sigmoid kernel is within 2 float32 ulps of the correctly rounded σ, saturates, and keeps NaN', () => {
  const e = WasmLinear.create();
  assert.ok(e);
  const n = 1 << 15;
  e.bind(new Float32Array(8), 8);
  e.reserve(1, n);
  const x = Float32Array.from({ length: n }, (_, i) => f(-87 + (174 * i) / n));
  const specials = [0, -0, 1e-30, -1e-30, 20, 88.5, 200, Infinity, -88.5, -200, -Infinity, NaN];
  x.set(specials, n - specials.length);
  e.z.set(x);
  e.sigmoid(n);
  let worst = 0;
  for (let i = 0; i < n - specials.length; i++) {
    const exact = f(1 / (1 + Math.exp(-x[i]!)));
    const ulp = 2 ** (Math.floor(Math.log2(exact)) - 23);
    const ulps: number = Math.abs(e.z[i]! - exact) / ulp;
    assert.ok(ulps <= 2, `σ(${x[i]}) = ${e.z[i]}, correctly rounded ${exact} (${ulps} ulps)`);
    worst = Math.max(worst, ulps);
  }
  assert.ok(worst > 0, 'some rounding differs: the comparison is with the float64 sigmoid, not itself');
  const got = Array.from(e.z.subarray(n - specials.length));
  // 0.5 exactly at ±0 and below float32 resolution; 1 above 20; ≤ 4.5e−39 (not exactly 0) far below.
  assert.deepEqual(got.slice(0, 8), [0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1]);
  for (const v of got.slice(8, 11)) assert.ok(v >= 0 && v < 5e-39, `σ of a large negative value: ${v}`);
  assert.ok(Number.isNaN(got[11]));
});

for (const [H, C, nb] of [
  [7, 2, 5],
  [50, 2, 64],
  [12, 3, 9],
] as const) {
  test(`the MLP head kernels compute their float32 operations in the stated order (${H} hidden, ${C} classes, ${nb} rows)`, () => {
    const d = 13;
    const rng = new Rng(H * 10 + C, 3);
    const e = WasmLinear.create();
    assert.ok(e);
    e.bind(
      Float32Array.from({ length: 20 * d }, () => rng.normal()),
      d,
    );
    e.reserveMlp(d, H, C, nb);
    const hp = e.hiddenStride;
    assert.equal(hp, Math.ceil(H / 4) * 4);
    // ProbeNet's layout: W1 [H × d], b1, W2 [C × H], b2.
    const p = Float64Array.from({ length: H * d + H + C * H + C }, () => rng.normal());
    e.loadHead(p, d);
    const b1 = Float32Array.from({ length: hp }, (_, u) => (u < H ? p[H * d + u]! : 0));
    const w2 = Float32Array.from({ length: C * hp }, (_, i) => (i % hp < H ? p[H * d + H + Math.floor(i / hp) * H + (i % hp)]! : 0));
    assert.deepEqual(e.b1, b1);
    assert.deepEqual(e.w2, w2);
    // Pre-activations as the forward kernel leaves them (pad units 0), and a dropout mask.
    const pre = Float32Array.from({ length: nb * hp }, (_, i) => (i % hp < H ? f(3 * rng.normal()) : 0));
    const m = e.dropoutMask();
    for (let k = 0; k < nb; k++) for (let u = 0; u < H; u++) m[k * hp + u] = rng.uniform(0, 1) < 0.7 ? f(1 / 0.7) : 0;
    const mask = m.slice();
    e.z.set(pre);
    e.activate(nb, true);
    const h = e.z.slice(0, nb * hp);
    // Finite activations: the equalities below would also hold between two NaNs.
    assert.ok(h.every(Number.isFinite), 'activations are finite');
    // activate is the sigmoid kernel of f32((z + b1)·m).
    e.z.set(pre.map((v, i) => f(f(v + b1[i % hp]!) * mask[i]!)));
    e.sigmoid(nb * hp);
    assert.deepEqual(h, e.z.slice(0, nb * hp), 'activate');
    e.z.set(h);
    e.headLogits(nb);
    for (let k = 0; k < nb; k++) {
      for (let c = 0; c < C; c++) {
        const a = [0, 0, 0, 0];
        for (let u = 0; u < hp; u += 4) for (let l = 0; l < 4; l++) a[l] = f(a[l]! + f(w2[c * hp + u + l]! * h[k * hp + u + l]!));
        assert.equal(e.coef[k * C + c], f(f(f(a[0]! + a[1]!) + a[2]!) + a[3]!), `logit [${k}, ${c}]`);
      }
    }
    const gc = Float32Array.from({ length: nb * C }, () => f(rng.normal() / nb));
    e.coef.set(gc);
    e.headBackward(nb);
    const gw2 = new Float32Array(C * hp);
    const gb1 = new Float32Array(hp);
    const gu = new Float32Array(nb * hp);
    for (let k = 0; k < nb; k++) {
      for (let u = 0; u < hp; u++) {
        const hu = h[k * hp + u]!;
        let dh = 0;
        for (let c = 0; c < C; c++) {
          const g = gc[k * C + c]!;
          gw2[c * hp + u] = f(gw2[c * hp + u]! + f(g * hu));
          dh = f(dh + f(g * w2[c * hp + u]!));
        }
        gu[k * hp + u] = f(f(f(dh * hu) * f(1 - hu)) * mask[k * hp + u]!);
        gb1[u] = f(gb1[u]! + gu[k * hp + u]!);
      }
    }
    assert.deepEqual(e.gw2, gw2, 'gW2');
    assert.deepEqual(e.gb1, gb1, 'gb1');
    assert.deepEqual(e.z.slice(0, nb * hp), gu, 'gu');
    // Without a mask, activate multiplies by ones (the mask is refilled after a masked step).
    e.z.set(pre);
    e.activate(nb, false);
    const plain = e.z.slice(0, nb * hp);
    e.z.set(pre.map((v, i) => f(v + b1[i % hp]!)));
    e.sigmoid(nb * hp);
    assert.deepEqual(plain, e.z.slice(0, nb * hp), 'activate without dropout');
    const grad = new Float64Array(p.length).fill(0.5);
    e.storeHeadGrad(grad, d);
    for (let u = 0; u < H; u++) assert.equal(grad[H * d + u], gb1[u]);
    for (let c = 0; c < C; c++) for (let u = 0; u < H; u++) assert.equal(grad[H * d + H + c * H + u], gw2[c * hp + u]);
    assert.equal(grad[0], 0.5, 'W1 is not the head');
    assert.equal(grad[p.length - 1], 0.5, 'b2 is not the head');
  });
}

for (const [H, nb] of [
  [7, 5],
  [50, 64],
  [12, 9],
] as const) {
  test(`the MLP's first-layer kernels: hiddenForward sums each unit in four lanes, hiddenBackward is the backward kernel's order (${H} hidden, ${nb} rows)`, () => {
    const d = 29;
    const { e, rows, Xp, rng } = setup(40, d, 1, nb, H * 7 + nb);
    const dp = e.dp;
    e.reserveMlp(d, H, 2, nb);
    e.rows.set(rows);
    const hp = e.hiddenStride;
    const units = H + (H & 1);
    for (let i = 0; i < H * dp; i++) e.w[i] = i % dp < d ? f(rng.normal()) : 0;
    e.z.fill(NaN);
    e.hiddenForward(nb);
    for (let k = 0; k < nb; k++) {
      for (let u = 0; u < hp; u++) {
        const a = [0, 0, 0, 0];
        for (let j = 0; j < dp; j += 4) for (let l = 0; l < 4; l++) a[l] = f(a[l]! + f(e.w[u * dp + j + l]! * Xp[rows[k]! * dp + j + l]!));
        // Units past nhid (zero weights) hold 0, not what z held before.
        assert.equal(e.z[k * hp + u], f(f(f(a[0]! + a[1]!) + a[2]!) + a[3]!), `z[${k}, ${u}]`);
      }
    }
    const coef = Float32Array.from({ length: nb * hp }, () => f(rng.normal()));
    const g0 = Float32Array.from({ length: hp * dp }, () => f(rng.normal()));
    e.z.set(coef);
    e.g.set(g0);
    e.hiddenBackward(nb);
    const blocked = e.g.slice(0, units * dp);
    // deepEqual would also pass two NaNs.
    assert.ok(blocked.every(Number.isFinite), 'finite gradient');
    e.z.set(coef);
    e.g.set(g0);
    e.backward(nb, hp);
    assert.deepEqual(blocked, e.g.slice(0, units * dp));
  });
}

test("activate's σ (constants in locals, pmin/pmax, 2^n from a float's bits) is the sigmoid kernel's, saturation and NaN included", () => {
  const e = WasmLinear.create();
  assert.ok(e);
  const d = 8;
  e.bind(new Float32Array(4 * d), d);
  const rows = 64;
  e.reserveMlp(d, 4, 2, rows);
  e.loadHead(new Float64Array(4 * d + 4 + 2 * 4 + 2), d);
  const rng = new Rng(17, 2);
  const specials = [0, -0, 1e-30, -1e-30, 20, 87.2, 87.4, 88.2, 88.4, 88.5, 200, Infinity, -87.2, -87.4, -88.2, -88.4, -88.5, -200, -Infinity, NaN];
  const x = Float32Array.from({ length: rows * 4 }, (_, i) => (i < specials.length ? specials[i]! : f(60 * rng.normal())));
  e.z.set(x);
  e.activate(rows, false);
  const got = e.z.slice(0, rows * 4);
  e.z.set(x);
  e.sigmoid(rows * 4);
  assert.deepEqual(got, e.z.slice(0, rows * 4));
  assert.ok(Number.isNaN(got[specials.length - 1]));
});

test("an MLP's softmax scratch holds a full minibatch's logits when there are more classes than padded hidden units", () => {
  const e = WasmLinear.create();
  assert.ok(e);
  const d = 8;
  e.bind(new Float32Array(4 * d), d);
  // 600 rows (a --batch-size above EVAL_CHUNK) of 6 classes against 2 hidden units (4 padded).
  e.reserveMlp(d, 2, 6, 600);
  const n = 600 * 6;
  const x = Float64Array.from({ length: n }, (_, i) => -(i % 97) / 7);
  e.ex.set(x);
  e.expInPlace(n);
  assert.deepEqual(Array.from(e.ex.subarray(0, n)), Array.from(x, Math.exp));
});
