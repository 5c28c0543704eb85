/**
 * Every fast path of the probe's arithmetic against the one scalar reference of its loss
 * (src/probe/reference.ts): ProbeNet's scalar JS and wasm SIMD forms, on a dense matrix and on
 * streamed rows, for logistic regression (two classes, several) and the MLP (with and without
 * dropout, masks drawn from the training stream), and relatedness's softmax + MSE (the same
 * ProbeNet with the distribution loss) in every form.
 * One minibatch's loss and gradient, and the parameters after one Adam step from them, agree to
 * float32 rounding; a NaN anywhere fails (helpers/diff.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseSource } from '../../src/features/source.js';
import { FastStream } from '../../src/probe/fast-stream.js';
import { initParams, NO_LABELS, ProbeNet, type LossReduction, type ProbeArch, type ProbeInput } from '../../src/probe/model.js';
import { Adam } from '../../src/probe/optim.js';
import { crossEntropyStep, distributionMseStep, type ReferenceStep } from '../../src/probe/reference.js';
import { relatednessNet } from '../../src/probe/relatedness.js';
import { encodeTaiAll } from '../../src/probe/tai.js';
import { WasmLinear } from '../../src/probe/wasm/linear.js';
import { Rng } from '../../src/util/rng.js';
import { assertAllClose, assertClose, maxAbsDiff } from '../helpers/diff.js';

const N = 90;
const ROWS = Int32Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % N);
// The minibatch is ROWS[START..END): an offset into the epoch's order, as training passes it.
const START = 3;
const END = 38;
const BATCH = ROWS.subarray(START, END);

function features(d: number, seed: number): Float32Array {
  const r = new Rng(seed, 4);
  return new Float32Array(N * d).map(() => r.normal());
}

function labels(C: number, seed: number): Int32Array {
  const r = new Rng(seed, 5);
  return Int32Array.from({ length: N }, () => Math.floor(r.uniform(0, C)));
}

/**
 * Float32 rounding of a gradient: the fast paths sum float32 products of float32-rounded weights,
 * so each element may differ by a few float32 ulps of the largest terms it sums (≤ 2^-18 of the
 * gradient's scale here, with batches of 35 rows and up to 130 columns).
 */
function assertStep(what: string, loss: number, grad: Float64Array, ref: ReferenceStep, params: Float64Array): void {
  const scale = Math.max(1e-3, ...Array.from(ref.grad, Math.abs));
  assertClose(loss, ref.loss, 2 ** -20 * Math.max(1, Math.abs(ref.loss)), `${what}: loss`);
  const gradTol = 2 ** -18 * scale;
  assertAllClose(grad, ref.grad, gradTol, `${what}: gradient`);
  // One Adam step from each gradient: the parameters agree to float32 rounding of values of order 1,
  // and as far as the gradients they were stepped from do. Adam's first step is lr·g'/(|g'| + eps)
  // with g' = g + decay·p: where g and decay·p nearly cancel (|g'| near eps) it turns float32
  // rounding of g, well inside the gradient's tolerance, into a large part of a step (PyTorch's
  // float32 would not pass 2^-22 there either). So each parameter may also differ by what moving
  // the reference gradient element by the gradient's tolerance moves its step, which falls as
  // eps/g'² where |g'| is well above eps.
  const adamStep = (g: Float64Array): Float64Array => {
    const q = params.slice();
    new Adam(q.length, 1e-4).step(q, g);
    return q;
  };
  const a = adamStep(grad);
  const b = adamStep(ref.grad);
  const up = adamStep(ref.grad.map((v) => v + gradTol));
  const down = adamStep(ref.grad.map((v) => v - gradTol));
  for (let i = 0; i < a.length; i++) {
    const tol = 2 ** -22 + Math.max(Math.abs(up[i]! - b[i]!), Math.abs(down[i]! - b[i]!));
    assertClose(a[i]!, b[i]!, tol, `${what}: parameter ${i} after one Adam step`);
  }
}

/** The multipliers ProbeNet draws from `stream` for the batch: row by row, unit by unit. */
function dropoutMasks(stream: FastStream, rows: number, H: number, dropout: number): Float64Array {
  const keep = 1 - dropout;
  return Float64Array.from({ length: rows * H }, () => (stream.next() < keep ? 1 / keep : 0));
}

type Form = 'scalar' | 'simd' | 'scalar, streamed rows' | 'simd, streamed rows';
const FORMS: Form[] = ['scalar', 'simd', 'scalar, streamed rows', 'simd, streamed rows'];

function input(X: Float32Array, d: number, form: Form): ProbeInput {
  return form.endsWith('streamed rows') ? denseSource(X, d) : X;
}

function netFor(arch: ProbeArch, params: Float64Array, X: ProbeInput, form: Form): ProbeNet {
  const net = new ProbeNet(arch, params.slice());
  if (form.startsWith('simd')) {
    const engine = WasmLinear.create();
    assert.ok(engine, 'this runtime has WebAssembly SIMD');
    net.useEngine(engine, X, END - START);
  }
  return net;
}

const ARCHS: { C: number; H: number; dropout: number; d: number }[] = [
  { C: 2, H: 0, dropout: 0, d: 37 },
  { C: 5, H: 0, dropout: 0, d: 130 },
  { C: 2, H: 7, dropout: 0, d: 37 },
  { C: 3, H: 50, dropout: 0, d: 130 },
  { C: 2, H: 50, dropout: 0.25, d: 37 },
  { C: 3, H: 9, dropout: 0.5, d: 130 },
  // More classes than (padded) hidden units.
  { C: 6, H: 2, dropout: 0, d: 37 },
];

for (const { C, H, dropout, d } of ARCHS) {
  for (const reduction of ['mean', 'sum'] as LossReduction[]) {
    const kind = H === 0 ? `logistic, ${C} classes` : `MLP ${H} hidden, ${C} classes, dropout ${dropout}`;
    test(`cross-entropy (${kind}, ${d}-d, ${reduction}): every form agrees with the reference`, () => {
      const arch: ProbeArch = { inputDim: d, nhid: H, nclasses: C, dropout };
      const X = features(d, d + C);
      const y = labels(C, C);
      const params = initParams(arch, new Rng(7, 1));
      const masks = dropout > 0 ? dropoutMasks(new FastStream(11, 2), BATCH.length, H, dropout) : undefined;
      const ref = crossEntropyStep(arch, params, { X, cols: d, rows: BATCH }, y, reduction, masks);
      for (const form of FORMS) {
        const Xin = input(X, d, form);
        const net = netFor(arch, params, Xin, form);
        const loss = net.lossAndGrad(Xin, y, ROWS, START, END, reduction, new FastStream(11, 2), true);
        assertStep(`${form}`, loss, net.grad, ref, params);
      }
    });
  }
}

test('the MLP with dropout draws exactly one mask value per hidden unit and row, in row order, in every form', () => {
  const arch: ProbeArch = { inputDim: 37, nhid: 6, nclasses: 2, dropout: 0.5 };
  const X = features(37, 1);
  const y = labels(2, 1);
  const params = initParams(arch, new Rng(3, 1));
  for (const form of FORMS) {
    const stream = new FastStream(5, 2);
    const net = netFor(arch, params, input(X, 37, form), form);
    net.lossAndGrad(input(X, 37, form), y, ROWS, START, END, 'mean', stream, false);
    const expected = new FastStream(5, 2);
    for (let i = 0; i < BATCH.length * 6; i++) expected.next();
    assert.equal(stream.nextI32(), expected.nextI32(), form);
  }
});

for (const reduction of ['mean', 'sum'] as LossReduction[]) {
  test(`MSE over the relatedness distribution (${reduction}): scalar and SIMD agree with the reference`, () => {
    const d = 37;
    const nclass = 5;
    const X = features(d, 3);
    const r = new Rng(9, 6);
    const targets = encodeTaiAll(
      Float64Array.from({ length: N }, () => r.uniform(1, 5)),
      { nclass },
    );
    const params = initParams({ inputDim: d, nhid: 0, nclasses: nclass, dropout: 0 }, new Rng(4, 1));
    const ref = distributionMseStep(params, { X, cols: d, rows: BATCH }, targets, nclass, reduction);
    for (const form of FORMS) {
      const Xin = input(X, d, form);
      const net = relatednessNet(params.slice(), d, targets, nclass);
      if (form.startsWith('simd')) {
        // A missing engine would quietly run the scalar path under the SIMD form's name.
        const e = WasmLinear.create();
        assert.ok(e, 'WebAssembly SIMD engine');
        net.useEngine(e, Xin, END - START);
      }
      const loss = net.lossAndGrad(Xin, NO_LABELS, ROWS, START, END, reduction);
      assertStep(form, loss, net.grad, ref, params);
    }
  });
}

test('a NaN in a feature shows in the reference and in every form, and fails the comparison', () => {
  const arch: ProbeArch = { inputDim: 37, nhid: 5, nclasses: 2, dropout: 0 };
  const X = features(37, 2);
  X[BATCH[0]! * 37 + 4] = NaN;
  const y = labels(2, 2);
  const params = initParams(arch, new Rng(2, 1));
  const ref = crossEntropyStep(arch, params, { X, cols: 37, rows: BATCH }, y, 'mean');
  assert.ok(Number.isNaN(ref.loss));
  for (const form of FORMS) {
    const net = netFor(arch, params, input(X, 37, form), form);
    net.lossAndGrad(input(X, 37, form), y, ROWS, START, END, 'mean', undefined, true);
    assert.ok(Number.isNaN(maxAbsDiff(net.grad, ref.grad)), form);
    assert.throws(() => assertAllClose(net.grad, ref.grad, 1, form));
  }
});
