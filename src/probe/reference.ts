/**
 * The probe's losses written once, plainly: one minibatch's loss and its gradient with respect to
 * every parameter, for each loss the harness trains. These are the statement of what the fast
 * paths compute (ProbeNet's scalar and SIMD forms, the relatedness trainer, the wasm kernels, the
 * WGSL trainer); test/probe/reference.test.ts holds every one of them to these, to float32
 * rounding. Nothing here is fast, and nothing in training calls it.
 *
 * Semantics are the fast paths': features are the float32 rows as stored, parameters float64 in
 * torch's `parameters()` order (ProbeNet's layout), arithmetic in float64 (the fast paths round
 * some products to float32, as PyTorch does; that is the tolerance the tests allow).
 *
 *   cross-entropy, linear (nhid 0):  z = W·x + b;                      loss = −log softmax(z)[y]
 *   cross-entropy, MLP (nhid > 0):   h = σ(m ⊙ (W1·x + b1)); z = W2·h + b2; the same loss, where m
 *                                    is the row's dropout multipliers (1/keep or 0; 1 without dropout)
 *   MSE over the relatedness distribution (linear): p = softmax(W·x + b); loss = Σ_c (p_c − t_c)²,
 *                                    t the Tai distribution of the gold score (SentEval's
 *                                    RelatednessPytorch with nn.MSELoss)
 * Reductions: `sum` adds the rows' losses; `mean` divides by the rows (cross-entropy) or by
 * rows × classes (MSE: nn.MSELoss averages every element of the [batch × classes] output).
 */
import type { LossReduction, ProbeArch } from './model.js';

export interface ReferenceBatch {
  /** Row-major [n × cols] float32 features. */
  readonly X: Float32Array;
  readonly cols: number;
  /** The minibatch: indices of rows of X. */
  readonly rows: Int32Array;
}

export interface ReferenceStep {
  readonly loss: number;
  /** d(loss)/d(params), in the parameters' layout. */
  readonly grad: Float64Array;
}

function row(b: ReferenceBatch, k: number): Float32Array {
  const r = b.rows[k]!;
  return b.X.subarray(r * b.cols, (r + 1) * b.cols);
}

/** W·x + b for a weight block `W` [out × in] at `wOff` and its bias at `bOff`. */
function affine(p: Float64Array, wOff: number, bOff: number, out: number, x: ArrayLike<number>): Float64Array {
  const z = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = p[bOff + o]!;
    for (let j = 0; j < x.length; j++) s += p[wOff + o * x.length + j]! * x[j]!;
    z[o] = s;
  }
  return z;
}

function softmax(z: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}

/** grad[wOff + o·in + j] += dz[o]·x[j] and grad[bOff + o] += dz[o]: an affine layer's backward. */
function affineBackward(grad: Float64Array, wOff: number, bOff: number, dz: Float64Array, x: ArrayLike<number>): void {
  for (let o = 0; o < dz.length; o++) {
    grad[bOff + o] += dz[o]!;
    for (let j = 0; j < x.length; j++) grad[wOff + o * x.length + j] += dz[o]! * x[j]!;
  }
}

/**
 * Cross-entropy of the probe `arch` (linear or MLP) on one minibatch. `masks` ([rows × nhid],
 * row-major) are the dropout multipliers of an MLP's hidden units; omitted, no dropout.
 */
export function crossEntropyStep(
  arch: ProbeArch,
  params: Float64Array,
  batch: ReferenceBatch,
  y: Int32Array,
  reduction: LossReduction,
  masks?: Float64Array,
): ReferenceStep {
  const { inputDim: d, nhid: H, nclasses: C } = arch;
  const n = batch.rows.length;
  const scale = reduction === 'mean' ? 1 / n : 1;
  const grad = new Float64Array(params.length);
  let loss = 0;
  for (let k = 0; k < n; k++) {
    const x = row(batch, k);
    const label = y[batch.rows[k]!]!;
    // The output layer's input: x itself, or the hidden layer h.
    let h: Float64Array | null = null;
    let z: Float64Array;
    if (H === 0) z = affine(params, 0, C * d, C, x);
    else {
      const pre = affine(params, 0, H * d, H, x);
      h = pre.map((s, u) => 1 / (1 + Math.exp(-s * (masks ? masks[k * H + u]! : 1))));
      z = affine(params, H * d + H, H * d + H + C * H, C, h);
    }
    const p = softmax(z);
    loss -= Math.log(p[label]!);
    const dz = p.map((pc, c) => (pc - (c === label ? 1 : 0)) * scale);
    if (H === 0) {
      affineBackward(grad, 0, C * d, dz, x);
      continue;
    }
    const w2 = H * d + H;
    affineBackward(grad, w2, w2 + C * H, dz, h!);
    const dpre = new Float64Array(H);
    for (let u = 0; u < H; u++) {
      let dh = 0;
      for (let c = 0; c < C; c++) dh += dz[c]! * params[w2 + c * H + u]!;
      const hu = h![u]!;
      dpre[u] = dh * hu * (1 - hu) * (masks ? masks[k * H + u]! : 1);
    }
    affineBackward(grad, 0, H * d, dpre, x);
  }
  return { loss: loss * scale, grad };
}

/**
 * MSE between the softmax of a linear layer and the target distributions `targets`
 * ([rows of X × nclass], row-major, indexed by the row of X) on one minibatch.
 */
export function distributionMseStep(
  params: Float64Array,
  batch: ReferenceBatch,
  targets: Float64Array,
  nclass: number,
  reduction: LossReduction,
): ReferenceStep {
  const d = batch.cols;
  const n = batch.rows.length;
  const scale = reduction === 'mean' ? 1 / (n * nclass) : 1;
  const grad = new Float64Array(params.length);
  let loss = 0;
  for (let k = 0; k < n; k++) {
    const x = row(batch, k);
    const t = targets.subarray(batch.rows[k]! * nclass, (batch.rows[k]! + 1) * nclass);
    const p = softmax(affine(params, 0, nclass * d, nclass, x));
    // d/dp of Σ (p − t)², then through the softmax Jacobian: dz_c = p_c (dp_c − Σ_i dp_i p_i).
    const dp = p.map((pc, c) => 2 * (pc - t[c]!) * scale);
    let dot = 0;
    for (let c = 0; c < nclass; c++) {
      loss += (p[c]! - t[c]!) ** 2;
      dot += dp[c]! * p[c]!;
    }
    const dz = p.map((pc, c) => pc * (dp[c]! - dot));
    affineBackward(grad, 0, nclass * d, dz, x);
  }
  return { loss: loss * scale, grad };
}
