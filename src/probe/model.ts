/**
 * The probe network of SentEval's MLP class: `nhid = 0` is one Linear layer (logistic regression);
 * `nhid > 0` is Linear → Dropout → Sigmoid → Linear. Parameters live in one Float64Array in
 * torch's `parameters()` order (W1 [out×in] row-major, b1, W2, b2) so that the optimizer is a single
 * flat loop. Features stay float32 (the shared feature matrix); arithmetic is float64.
 *
 * The hot loops are written out by hand for the shapes that dominate the protocols (binary and
 * small-C logistic regression): no per-sample allocation, no generic matrix helpers.
 */
import type { FastStream } from './fast-stream.js';
import { denseSource, type RowSource } from '../features/source.js';
import { DENSE_BIND_LIMIT, type WasmLinear } from './wasm/linear.js';

/**
 * A probe's features: a dense row-major matrix, or a RowSource that produces rows on demand (pair
 * features from the sentence store). Sources are read in blocks of a minibatch.
 */
export type ProbeInput = Float32Array | RowSource;

/** Identity row indices 0..n-1 (shared, grown on demand). */
let identity = new Int32Array(0);
export function identityRows(n: number): Int32Array {
  if (identity.length < n) identity = Int32Array.from({ length: Math.max(n, 2 * identity.length) }, (_, i) => i);
  return identity.subarray(0, n);
}

/** Rows per forward call when predicting (bounds the kernel's scratch). */
export const EVAL_CHUNK = 512;

export type LossReduction = 'mean' | 'sum';

export interface ProbeArch {
  readonly inputDim: number;
  readonly nhid: number;
  readonly nclasses: number;
  readonly dropout: number;
}

/** Whether a probe trains one weight row, w1 − w0: a linear two-class cross-entropy probe. */
export function trainsOnDifference(a: ProbeArch, loss: ProbeLoss['kind'] = 'cross-entropy'): boolean {
  return loss === 'cross-entropy' && a.nhid === 0 && a.nclasses === 2;
}

/**
 * Output rows of the first layer, the products the kernels compute per feature row: the hidden
 * units of an MLP, else one for a probe trained on w1 − w0, else the classes.
 */
export function firstLayerRows(a: ProbeArch, loss: ProbeLoss['kind'] = 'cross-entropy'): number {
  if (a.nhid > 0) return a.nhid;
  return trainsOnDifference(a, loss) ? 1 : a.nclasses;
}

export function paramCount(a: ProbeArch): number {
  return a.nhid === 0 ? a.nclasses * a.inputDim + a.nclasses : a.nhid * a.inputDim + a.nhid + a.nclasses * a.nhid + a.nclasses;
}

/** PyTorch's nn.Linear default init: weight and bias ~ U(-1/√fan_in, 1/√fan_in), weight first. */
export function initParams(a: ProbeArch, rng: { uniform(lo: number, hi: number): number }): Float64Array {
  const p = new Float64Array(paramCount(a));
  let off = 0;
  const layer = (fanIn: number, fanOut: number): void => {
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < fanOut * fanIn + fanOut; i++) p[off++] = rng.uniform(-bound, bound);
  };
  if (a.nhid === 0) layer(a.inputDim, a.nclasses);
  else {
    layer(a.inputDim, a.nhid);
    layer(a.nhid, a.nclasses);
  }
  return p;
}

/**
 * What the probe minimises (src/probe/reference.ts states each plainly): the cross-entropy of the
 * class labels (the classification protocols), or the MSE between the softmax and a target
 * distribution per row, `targets` [rows of the features × nclasses] (SentEval's relatedness
 * probe; linear only, as SentEval has it).
 */
export type ProbeLoss = { readonly kind: 'cross-entropy' } | { readonly kind: 'distribution-mse'; readonly targets: Float64Array };

export const CROSS_ENTROPY: ProbeLoss = { kind: 'cross-entropy' };

/** The labels argument of a probe whose loss carries its own targets (distribution-mse). */
export const NO_LABELS = new Int32Array(0);

/**
 * Forward + backward of the mean (or summed) loss over the minibatch `rows[start..end)` (rows
 * index the feature matrix). Writes d(loss)/d(params) into `grad` (overwritten, no weight decay)
 * and returns the loss.
 */
export class ProbeNet {
  readonly arch: ProbeArch;
  readonly loss: ProbeLoss;
  params: Float64Array;
  readonly grad: Float64Array;
  /** Two-class logistic regression with cross-entropy: trained on the one row w1 − w0. */
  private readonly binary: boolean;
  private readonly z: Float64Array;
  private readonly dz: Float64Array;
  private readonly delta: Float64Array;
  private readonly h: Float64Array;
  private readonly hmask: Float64Array;
  private readonly dh: Float64Array;
  private engine: WasmLinear | null = null;

  /**
   * `loss`: what the probe minimises (default the cross-entropy of the labels); `grad`: where to
   * write the gradient (default a fresh vector; see Optimizer.vectors).
   */
  constructor(arch: ProbeArch, params: Float64Array, loss: ProbeLoss = CROSS_ENTROPY, grad?: Float64Array) {
    if (params.length !== paramCount(arch) || (grad && grad.length !== params.length)) {
      throw new Error(`ProbeNet: ${params.length} parameters, expected ${paramCount(arch)}`);
    }
    if (loss.kind === 'distribution-mse' && arch.nhid > 0) throw new Error('ProbeNet: the distribution MSE loss is for a linear probe');
    this.arch = arch;
    this.loss = loss;
    this.params = params;
    this.binary = trainsOnDifference(arch, loss.kind);
    this.grad = grad ?? new Float64Array(params.length);
    this.z = new Float64Array(arch.nclasses);
    this.dz = new Float64Array(arch.nclasses);
    this.delta = new Float64Array(arch.inputDim);
    this.h = new Float64Array(Math.max(arch.nhid, 1));
    this.hmask = new Float64Array(Math.max(arch.nhid, 1));
    this.dh = new Float64Array(Math.max(arch.nhid, 1));
  }

  /**
   * Run on the SIMD kernels, with `X` as the feature matrix of every later call. Takes over the
   * engine's scratch: one net per engine at a time, or `stacked` linear nets of one shape trained
   * in lockstep (the scratch then holds all their weight rows at once).
   */
  useEngine(engine: WasmLinear | null, X: ProbeInput, maxBatch: number, stacked = 1): void {
    if (!engine) {
      this.engine = null;
      return;
    }
    const { inputDim: d, nhid: H, nclasses: C } = this.arch;
    const maxRows = Math.max(maxBatch, EVAL_CHUNK);
    if (H > 0 && stacked > 1) throw new Error('ProbeNet: only linear nets are stacked on the kernels');
    bindFeatures(engine, X, d, maxRows);
    // The kernels compute the first layer: the hidden layer's H rows for an MLP, else the classes.
    if (H > 0) engine.reserveMlp(d, H, C, maxRows);
    else engine.reserve(stacked * this.kernelRows, maxRows, C * d);
    this.engine = engine;
  }

  private blockData = new Float32Array(0);
  private blockLabels = new Int32Array(0);
  private blockTargets = new Float64Array(0);

  /**
   * Rows `rows[start..end)` of a source as a dense block, with their labels (or, for the
   * distribution loss, their targets); rows become 0..n-1.
   */
  private gathered(
    src: RowSource,
    y: Int32Array | null,
    rows: Int32Array,
    start: number,
    end: number,
  ): { X: Float32Array; y: Int32Array; targets: Float64Array } {
    const n = end - start;
    const d = this.arch.inputDim;
    if (this.blockData.length < n * d) this.blockData = new Float32Array(n * d);
    if (this.blockLabels.length < n) this.blockLabels = new Int32Array(n);
    src.gather(rows, start, end, this.blockData, d);
    if (this.loss.kind === 'distribution-mse') {
      const C = this.arch.nclasses;
      const T = this.loss.targets;
      if (this.blockTargets.length < n * C) this.blockTargets = new Float64Array(n * C);
      for (let k = 0; k < n; k++) this.blockTargets.set(T.subarray(rows[start + k]! * C, (rows[start + k]! + 1) * C), k * C);
    } else if (y) for (let k = 0; k < n; k++) this.blockLabels[k] = y[rows[start + k]!]!;
    return { X: this.blockData, y: this.blockLabels, targets: this.blockTargets };
  }

  lossAndGrad(
    X: ProbeInput,
    y: Int32Array,
    rows: Int32Array,
    start: number,
    end: number,
    reduction: LossReduction,
    dropoutRng?: FastStream,
    withLoss = true,
  ): number {
    if (this.loss.kind === 'distribution-mse') {
      // nn.MSELoss's mean is over every element of the [batch × nclasses] output.
      const scale = reduction === 'mean' ? 1 / ((end - start) * this.arch.nclasses) : 1;
      if (this.engine) return this.mseGradSimd(this.engine, this.loss.targets, rows, start, end, scale);
      if (X instanceof Float32Array) return this.mseGrad(X, this.loss.targets, rows, start, end, scale);
      const b = this.gathered(X, null, rows, start, end);
      return this.mseGrad(b.X, b.targets, identityRows(end - start), 0, end - start, scale);
    }
    const scale = reduction === 'mean' ? 1 / (end - start) : 1;
    if (!(X instanceof Float32Array) && !this.engine) {
      const b = this.gathered(X, y, rows, start, end);
      return this.lossAndGrad(b.X, b.y, identityRows(end - start), 0, end - start, reduction, dropoutRng, withLoss);
    }
    if (this.arch.nhid > 0) {
      return this.engine
        ? this.mlpGradSimd(this.engine, y, rows, start, end, scale, dropoutRng, withLoss)
        : this.mlpGrad(X as Float32Array, y, rows, start, end, scale, dropoutRng);
    }
    if (this.engine) return this.linearGradSimd(this.engine, y, rows, start, end, scale, withLoss);
    if (this.binary) return this.binaryGrad(X as Float32Array, y, rows, start, end, scale);
    return this.softmaxGrad(X as Float32Array, y, rows, start, end, scale);
  }

  /** Weight rows this linear net occupies in the kernels' stack: one (w1 − w0) for binary, else C. */
  get kernelRows(): number {
    return this.binary ? 1 : this.arch.nclasses;
  }

  /** Weights into the kernel's float32 scratch from weight row `row` on: w1 − w0 for binary, else W. */
  loadKernelWeights(e: WasmLinear, row = 0): void {
    const { inputDim: d, nclasses: C } = this.arch;
    e.loadWeights(this.params, d, C, this.binary, row);
  }

  /** The distribution MSE on the kernels (features bound to `e`); targets indexed by row. */
  private mseGradSimd(e: WasmLinear, T: Float64Array, rows: Int32Array, start: number, end: number, scale: number): number {
    const { inputDim: d, nclasses: C } = this.arch;
    const p = this.params;
    const g = this.grad;
    const { z: q, dz } = this;
    const bOff = C * d;
    const nb = end - start;
    this.loadKernelWeights(e);
    e.stage(rows, start, nb);
    e.forward(nb, C);
    const z = e.z;
    for (let c = 0; c < C; c++) g[bOff + c] = 0;
    let loss = 0;
    for (let k = 0; k < nb; k++) {
      const o = k * C;
      for (let c = 0; c < C; c++) q[c] = z[o + c]! + p[bOff + c]!;
      // This path has always passed dq through the float32 logit buffer; keep that rounding.
      loss = softmaxMseBackward(q, T, rows[start + k]! * C, C, scale, dz, loss, true);
      for (let c = 0; c < C; c++) {
        z[o + c] = dz[c]!;
        g[bOff + c] += dz[c]!;
      }
    }
    e.g.fill(0, 0, C * e.dp);
    e.backward(nb, C);
    e.storeGrad(g, d, C, false);
    return loss * scale;
  }

  /** The distribution MSE in scalar JS; targets indexed by row. */
  private mseGrad(X: Float32Array, T: Float64Array, rows: Int32Array, start: number, end: number, scale: number): number {
    const { inputDim: d, nclasses: C } = this.arch;
    const p = this.params;
    const g = this.grad;
    const { z: q, dz } = this;
    const bOff = C * d;
    g.fill(0);
    let loss = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const o = r * d;
      for (let c = 0; c < C; c++) {
        const wo = c * d;
        let s0 = 0;
        let s1 = 0;
        let j = 0;
        for (; j + 1 < d; j += 2) {
          s0 += p[wo + j]! * X[o + j]!;
          s1 += p[wo + j + 1]! * X[o + j + 1]!;
        }
        if (j < d) s0 += p[wo + j]! * X[o + j]!;
        q[c] = p[bOff + c]! + s0 + s1;
      }
      loss = softmaxMseBackward(q, T, r * C, C, scale, dz, loss, false);
      for (let c = 0; c < C; c++) {
        const gz = dz[c]!;
        g[bOff + c] += gz;
        const wo = c * d;
        for (let j = 0; j < d; j++) g[wo + j] += gz * X[o + j]!;
      }
    }
    return loss * scale;
  }

  /**
   * Expected score Σ_c softmax(z)_c·(c + 1) of each row (the relatedness probe's prediction), in
   * eval mode, on the kernels when bound.
   */
  expectedScores(X: ProbeInput, rows: Int32Array): Float64Array {
    const { inputDim: d, nclasses: C } = this.arch;
    if (this.arch.nhid > 0) throw new Error('ProbeNet: expected scores are of a linear probe');
    const p = this.params;
    const bOff = C * d;
    const out = new Float64Array(rows.length);
    const z = this.z;
    const e = this.engine;
    if (e) {
      this.loadKernelWeights(e);
      const ez = e.z;
      for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
        const nb = Math.min(EVAL_CHUNK, rows.length - s);
        e.stage(rows, s, nb);
        e.forward(nb, C);
        for (let k = 0; k < nb; k++) {
          for (let c = 0; c < C; c++) z[c] = ez[k * C + c]! + p[bOff + c]!;
          out[s + k] = expectedScoreOf(z, 0, C);
        }
      }
      return out;
    }
    if (!(X instanceof Float32Array)) {
      for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
        const nb = Math.min(EVAL_CHUNK, rows.length - s);
        const b = this.gathered(X, null, rows, s, s + nb);
        out.set(this.expectedScores(b.X, identityRows(nb)), s);
      }
      return out;
    }
    for (let k = 0; k < rows.length; k++) {
      const o = rows[k]! * d;
      for (let c = 0; c < C; c++) {
        const wo = c * d;
        let v = p[bOff + c]!;
        for (let j = 0; j < d; j++) v += p[wo + j]! * X[o + j]!;
        z[c] = v;
      }
      out[k] = expectedScoreOf(z, 0, C);
    }
    return out;
  }

  /**
   * After a forward pass over `rows[start..start + nb)` that left this net's logits in `e.z`
   * (row k's at k·stride + row), replaces them by the loss gradient's coefficients, writes the
   * bias gradient into `grad` and returns the loss (when `withLoss`, NaN otherwise). Nets trained
   * in lockstep share one forward pass and each reads its own columns. The caller stages the
   * rows' labels first (`e.stageLabels`), once for all nets of a pass.
   */
  kernelCoefficients(
    e: WasmLinear,
    y: Int32Array,
    rows: Int32Array,
    start: number,
    nb: number,
    scale: number,
    withLoss: boolean,
    stride: number,
    row: number,
  ): number {
    const d = this.arch.inputDim;
    const C = this.arch.nclasses;
    if (!this.binary) return this.softmaxCoefficients(e, e.z, stride, row, y, rows, start, nb, scale, C * d, withLoss);
    const p = this.params;
    const g = this.grad;
    const db = p[2 * d + 1]! - p[2 * d]!;
    // The loss is read before the kernel overwrites the logit differences (tests and reports only:
    // training never asks for it).
    const loss = withLoss ? binaryLoss(e.z, stride, row, db, y, rows, start, nb) * scale : NaN;
    // σ(db + z) − y per row on the kernel, two rows at a time (logistic-kernels.ts).
    e.binaryCoefficients(nb, stride, row, db, scale);
    const g1 = e.g1;
    let gb1 = 0;
    for (let k = 0; k < nb; k++) gb1 += g1[k]!;
    g[2 * d] = -gb1;
    g[2 * d + 1] = gb1;
    return loss;
  }

  private maxima = new Float64Array(0);

  /** Scratch for one value per row of a minibatch (grown on demand). */
  private rowMax(nb: number): Float64Array {
    if (this.maxima.length < nb) this.maxima = new Float64Array(Math.max(nb, 2 * this.maxima.length));
    return this.maxima;
  }

  /**
   * Softmax cross-entropy of nb rows of C logits in `z` (row k's at k·stride + off, without the
   * bias at `bOff` in the parameters): replaces them by d loss / d logits (times `scale`), writes
   * the bias's gradient and returns the loss when `withLoss` (times `scale`; NaN otherwise). The
   * linear probe's logits and the MLP's output layer both go through it. The shifted logits
   * z_c − max_c z_c of the minibatch go through the kernels' exponential at once (Math.exp's bits,
   * a fraction of its time), each once.
   */
  private softmaxCoefficients(
    e: WasmLinear,
    z: Float32Array,
    stride: number,
    off: number,
    y: Int32Array,
    rows: Int32Array,
    start: number,
    nb: number,
    scale: number,
    bOff: number,
    withLoss: boolean,
  ): number {
    const C = this.arch.nclasses;
    const p = this.params;
    const g = this.grad;
    for (let c = 0; c < C; c++) g[bOff + c] = 0;
    const ex = e.ex;
    const maxima = this.rowMax(nb);
    for (let k = 0; k < nb; k++) {
      const o = k * stride + off;
      let zmax = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = z[o + c]! + p[bOff + c]!;
        ex[k * C + c] = v;
        if (v > zmax) zmax = v;
      }
      for (let c = 0; c < C; c++) ex[k * C + c] = ex[k * C + c]! - zmax;
      maxima[k] = zmax;
    }
    e.expInPlace(nb * C);
    let loss = 0;
    for (let k = 0; k < nb; k++) {
      const o = k * stride + off;
      let sum = 0;
      for (let c = 0; c < C; c++) sum += ex[k * C + c]!;
      const yi = y[rows[start + k]!]!;
      if (withLoss) loss += Math.log(sum) - (z[o + yi]! + p[bOff + yi]! - maxima[k]!);
      for (let c = 0; c < C; c++) {
        const gc = (ex[k * C + c]! / sum - (c === yi ? 1 : 0)) * scale;
        z[o + c] = gc;
        g[bOff + c] += gc;
      }
    }
    return withLoss ? loss * scale : NaN;
  }

  /**
   * The MLP on the kernels, in float32 as PyTorch computes it. All but the softmax over each
   * row's C logits and the loss (float64 JS) runs in the MLP kernels (mlp-kernels.ts): the first
   * layer's products, blocked for many output rows; bias, dropout and sigmoid in one pass; the
   * output layer and its backward. Dropout masks are drawn in mlpGrad's order (row by row, unit
   * by unit).
   */
  private mlpGradSimd(
    e: WasmLinear,
    y: Int32Array,
    rows: Int32Array,
    start: number,
    end: number,
    scale: number,
    dropoutRng: FastStream | undefined,
    withLoss: boolean,
  ): number {
    const { inputDim: d, nhid: H, nclasses: C, dropout } = this.arch;
    const p = this.params;
    const g = this.grad;
    const b2 = H * d + H + C * H;
    const hp = e.hiddenStride;
    const keep = 1 - dropout;
    const useDropout = dropout > 0 && dropoutRng !== undefined;
    const nb = end - start;
    e.loadWeights(p, d, H, false);
    e.loadHead(p, d);
    e.stage(rows, start, nb);
    e.hiddenForward(nb);
    if (useDropout) {
      const m = e.dropoutMask();
      const inv = 1 / keep;
      for (let k = 0; k < nb; k++) for (let u = 0, o = k * hp; u < H; u++) m[o + u] = dropoutRng.next() < keep ? inv : 0;
    }
    e.activate(nb, useDropout);
    e.headLogits(nb);
    const loss = this.softmaxCoefficients(e, e.coef, C, 0, y, rows, start, nb, scale, b2, withLoss);
    e.headBackward(nb);
    e.storeHeadGrad(g, d);
    e.g.fill(0, 0, H * e.dp);
    e.hiddenBackward(nb);
    e.storeGrad(g, d, H, false);
    return loss;
  }

  /** Eval-mode MLP forward of `rows` on the kernels: arg-max class of each. */
  private mlpPredictSimd(e: WasmLinear, rows: Int32Array, out: Int32Array): void {
    const { inputDim: d, nhid: H, nclasses: C } = this.arch;
    const p = this.params;
    const b2 = H * d + H + C * H;
    e.loadWeights(p, d, H, false);
    e.loadHead(p, d);
    for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
      const nb = Math.min(EVAL_CHUNK, rows.length - s);
      e.stage(rows, s, nb);
      e.hiddenForward(nb);
      e.activate(nb, false);
      e.headLogits(nb);
      argmaxRows(e.coef, nb, C, 0, p, b2, C, out, s);
    }
  }

  /** The weight gradient from the kernels' gradient rows (this net's from `row` on) into `grad`. */
  storeKernelGrad(e: WasmLinear, row = 0): void {
    const { inputDim: d, nclasses: C } = this.arch;
    e.storeGrad(this.grad, d, C, this.binary, row);
  }

  /** Arg-max class of `nb` rows from logits in `e.z` (row k's at k·stride + row) into out[at..). */
  kernelPredictions(e: WasmLinear, nb: number, stride: number, row: number, out: Int32Array, at: number): void {
    const { inputDim: d, nclasses: C } = this.arch;
    const p = this.params;
    const z = e.z;
    if (this.binary) {
      const db = p[2 * d + 1]! - p[2 * d]!;
      for (let k = 0; k < nb; k++) out[at + k] = db + z[k * stride + row]! > 0 ? 1 : 0;
      return;
    }
    argmaxRows(z, nb, stride, row, p, C * d, C, out, at);
  }

  /** One net's step on the kernels: forward, coefficients, backward (see kernelCoefficients). */
  private linearGradSimd(e: WasmLinear, y: Int32Array, rows: Int32Array, start: number, end: number, scale: number, withLoss: boolean): number {
    const nb = end - start;
    const R = this.kernelRows;
    this.loadKernelWeights(e);
    e.stage(rows, start, nb);
    e.stageLabels(y, rows, start, nb);
    e.forward(nb, R);
    // Training never reads the loss (the classifier passes withLoss = false).
    const loss = this.kernelCoefficients(e, y, rows, start, nb, scale, withLoss, R, 0);
    e.g.fill(0, 0, R * e.dp);
    e.backward(nb, R);
    this.storeKernelGrad(e);
    return loss;
  }

  private predictSimd(e: WasmLinear, rows: Int32Array, out: Int32Array): void {
    const R = this.kernelRows;
    this.loadKernelWeights(e);
    for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
      const nb = Math.min(EVAL_CHUNK, rows.length - s);
      e.stage(rows, s, nb);
      e.forward(nb, R);
      this.kernelPredictions(e, nb, R, 0, out, s);
    }
  }

  /**
   * Two-class logistic regression: the softmax only sees z1 − z0, so one dot product with
   * w1 − w0 per sample, and the class-0 gradient is exactly the negated class-1 gradient.
   */
  private binaryGrad(X: Float32Array, y: Int32Array, rows: Int32Array, start: number, end: number, scale: number): number {
    const d = this.arch.inputDim;
    const p = this.params;
    const g = this.grad;
    const delta = this.delta;
    for (let j = 0; j < d; j++) delta[j] = p[d + j]! - p[j]!;
    const db = p[2 * d + 1]! - p[2 * d]!;
    // Accumulate the class-1 weight gradient in g[d..2d).
    g.fill(0, d, 2 * d);
    let gb1 = 0;
    let loss = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const o = r * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      for (; j + 3 < d; j += 4) {
        s0 += delta[j]! * X[o + j]!;
        s1 += delta[j + 1]! * X[o + j + 1]!;
        s2 += delta[j + 2]! * X[o + j + 2]!;
        s3 += delta[j + 3]! * X[o + j + 3]!;
      }
      for (; j < d; j++) s0 += delta[j]! * X[o + j]!;
      const t = db + (s0 + s1 + s2 + s3); // z1 - z0
      const yi = y[r]!;
      // p1 = σ(t); loss = log(1 + e^{±t}) computed stably.
      let p1: number;
      if (t >= 0) {
        const e = Math.exp(-t);
        p1 = 1 / (1 + e);
        loss += yi === 1 ? Math.log1p(e) : t + Math.log1p(e);
      } else {
        const e = Math.exp(t);
        p1 = e / (1 + e);
        loss += yi === 1 ? -t + Math.log1p(e) : Math.log1p(e);
      }
      const g1 = (p1 - (yi === 1 ? 1 : 0)) * scale;
      gb1 += g1;
      j = 0;
      for (; j + 3 < d; j += 4) {
        g[d + j] += g1 * X[o + j]!;
        g[d + j + 1] += g1 * X[o + j + 1]!;
        g[d + j + 2] += g1 * X[o + j + 2]!;
        g[d + j + 3] += g1 * X[o + j + 3]!;
      }
      for (; j < d; j++) g[d + j] += g1 * X[o + j]!;
    }
    for (let j = 0; j < d; j++) g[j] = -g[d + j]!;
    g[2 * d] = -gb1;
    g[2 * d + 1] = gb1;
    return loss * scale;
  }

  private softmaxGrad(X: Float32Array, y: Int32Array, rows: Int32Array, start: number, end: number, scale: number): number {
    const d = this.arch.inputDim;
    const C = this.arch.nclasses;
    const p = this.params;
    const g = this.grad;
    const z = this.z;
    const bOff = C * d;
    g.fill(0);
    let loss = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const o = r * d;
      let zmax = -Infinity;
      for (let c = 0; c < C; c++) {
        const wo = c * d;
        let s0 = 0;
        let s1 = 0;
        let j = 0;
        for (; j + 1 < d; j += 2) {
          s0 += p[wo + j]! * X[o + j]!;
          s1 += p[wo + j + 1]! * X[o + j + 1]!;
        }
        if (j < d) s0 += p[wo + j]! * X[o + j]!;
        const zc = p[bOff + c]! + s0 + s1;
        z[c] = zc;
        if (zc > zmax) zmax = zc;
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - zmax);
      const yi = y[r]!;
      loss += Math.log(sum) - (z[yi]! - zmax);
      for (let c = 0; c < C; c++) {
        const gc = (Math.exp(z[c]! - zmax) / sum - (c === yi ? 1 : 0)) * scale;
        g[bOff + c] += gc;
        const wo = c * d;
        for (let j = 0; j < d; j++) g[wo + j] += gc * X[o + j]!;
      }
    }
    return loss * scale;
  }

  private mlpGrad(X: Float32Array, y: Int32Array, rows: Int32Array, start: number, end: number, scale: number, dropoutRng: FastStream | undefined): number {
    const { inputDim: d, nhid: H, nclasses: C, dropout } = this.arch;
    const p = this.params;
    const g = this.grad;
    const { z, h, hmask, dh } = this;
    const b1 = H * d;
    const w2 = b1 + H;
    const b2 = w2 + C * H;
    const keep = 1 - dropout;
    const useDropout = dropout > 0 && dropoutRng !== undefined;
    g.fill(0);
    let loss = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const o = r * d;
      for (let u = 0; u < H; u++) {
        const wo = u * d;
        let s = p[b1 + u]!;
        for (let j = 0; j < d; j++) s += p[wo + j]! * X[o + j]!;
        // Dropout sits before the sigmoid: a dropped unit outputs σ(0) = 0.5.
        let m = 1;
        if (useDropout) m = dropoutRng.next() < keep ? 1 / keep : 0;
        hmask[u] = m;
        h[u] = 1 / (1 + Math.exp(-s * m));
      }
      let zmax = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = p[b2 + c]!;
        const wo = w2 + c * H;
        for (let u = 0; u < H; u++) s += p[wo + u]! * h[u]!;
        z[c] = s;
        if (s > zmax) zmax = s;
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - zmax);
      const yi = y[r]!;
      loss += Math.log(sum) - (z[yi]! - zmax);
      dh.fill(0, 0, H);
      for (let c = 0; c < C; c++) {
        const gc = (Math.exp(z[c]! - zmax) / sum - (c === yi ? 1 : 0)) * scale;
        g[b2 + c] += gc;
        const wo = w2 + c * H;
        for (let u = 0; u < H; u++) {
          g[wo + u] += gc * h[u]!;
          dh[u] += gc * p[wo + u]!;
        }
      }
      for (let u = 0; u < H; u++) {
        const hu = h[u]!;
        const gu = dh[u]! * hu * (1 - hu) * hmask[u]!;
        if (gu === 0) continue;
        g[b1 + u] += gu;
        const wo = u * d;
        for (let j = 0; j < d; j++) g[wo + j] += gu * X[o + j]!;
      }
    }
    return loss * scale;
  }

  /** Arg-max class of each row (eval mode: no dropout); ties go to the lowest class, like torch.max. */
  predict(X: ProbeInput, rows: Int32Array, out: Int32Array): void {
    const { inputDim: d, nhid: H, nclasses: C } = this.arch;
    const p = this.params;
    const z = this.z;
    const h = this.h;
    if (this.engine) {
      if (H > 0) this.mlpPredictSimd(this.engine, rows, out);
      else this.predictSimd(this.engine, rows, out);
      return;
    }
    if (!(X instanceof Float32Array)) {
      for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
        const nb = Math.min(EVAL_CHUNK, rows.length - s);
        const b = this.gathered(X, null, rows, s, s + nb);
        this.predict(b.X, identityRows(nb), out.subarray(s, s + nb));
      }
      return;
    }
    if (this.binary) {
      const delta = this.delta;
      for (let j = 0; j < d; j++) delta[j] = p[d + j]! - p[j]!;
      const db = p[2 * d + 1]! - p[2 * d]!;
      for (let k = 0; k < rows.length; k++) {
        const o = rows[k]! * d;
        let s0 = 0;
        let s1 = 0;
        let j = 0;
        for (; j + 1 < d; j += 2) {
          s0 += delta[j]! * X[o + j]!;
          s1 += delta[j + 1]! * X[o + j + 1]!;
        }
        if (j < d) s0 += delta[j]! * X[o + j]!;
        out[k] = db + s0 + s1 > 0 ? 1 : 0;
      }
      return;
    }
    const w2 = H * d + H;
    const b2 = w2 + C * H;
    const bOff = C * d;
    for (let k = 0; k < rows.length; k++) {
      const o = rows[k]! * d;
      if (H === 0) {
        for (let c = 0; c < C; c++) {
          const wo = c * d;
          let s = p[bOff + c]!;
          for (let j = 0; j < d; j++) s += p[wo + j]! * X[o + j]!;
          z[c] = s;
        }
      } else {
        for (let u = 0; u < H; u++) {
          const wo = u * d;
          let s = p[H * d + u]!;
          for (let j = 0; j < d; j++) s += p[wo + j]! * X[o + j]!;
          h[u] = 1 / (1 + Math.exp(-s));
        }
        for (let c = 0; c < C; c++) {
          let s = p[b2 + c]!;
          const wo = w2 + c * H;
          for (let u = 0; u < H; u++) s += p[wo + u]! * h[u]!;
          z[c] = s;
        }
      }
      let best = 0;
      for (let c = 1; c < C; c++) if (z[c]! > z[best]!) best = c;
      out[k] = best;
    }
  }

  /**
   * Class probabilities of each row (eval mode), softmax of the logits in float64, row-major
   * [rows, C] into `out`. For sidecars only: `predict` (the arg-max, SIMD or scalar) stays what
   * scores the task, so a near-tie may differ from these probabilities' arg-max in the last bit.
   */
  probabilities(X: ProbeInput, rows: Int32Array, out: Float64Array): void {
    const { inputDim: d, nhid: H, nclasses: C } = this.arch;
    if (!(X instanceof Float32Array)) {
      // Pair features are produced per block, as predict does.
      for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
        const nb = Math.min(EVAL_CHUNK, rows.length - s);
        const b = this.gathered(X, null, rows, s, s + nb);
        this.probabilities(b.X, identityRows(nb), out.subarray(s * C, (s + nb) * C));
      }
      return;
    }
    const p = this.params;
    const z = new Float64Array(C);
    const h = new Float64Array(H);
    const w2 = H * d + H;
    const b2 = w2 + C * H;
    for (let k = 0; k < rows.length; k++) {
      const o = rows[k]! * d;
      for (let c = 0; c < C; c++) {
        if (H === 0) {
          let s = p[C * d + c]!;
          for (let j = 0; j < d; j++) s += p[c * d + j]! * X[o + j]!;
          z[c] = s;
        } else {
          if (c === 0) {
            for (let u = 0; u < H; u++) {
              let s = p[H * d + u]!;
              for (let j = 0; j < d; j++) s += p[u * d + j]! * X[o + j]!;
              h[u] = 1 / (1 + Math.exp(-s));
            }
          }
          let s = p[b2 + c]!;
          for (let u = 0; u < H; u++) s += p[w2 + c * H + u]! * h[u]!;
          z[c] = s;
        }
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (z[c]! > m) m = z[c]!;
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - m);
      for (let c = 0; c < C; c++) out[k * C + c] = Math.exp(z[c]! - m) / sum;
    }
  }
}

/**
 * The arg-max class of nb rows of C logits in `z` (row k's at k·stride + off, without the biases
 * at p[bOff..bOff + C)) into out[at..); the first of equal maxima wins.
 */
function argmaxRows(z: Float32Array, nb: number, stride: number, off: number, p: Float64Array, bOff: number, C: number, out: Int32Array, at: number): void {
  for (let k = 0; k < nb; k++) {
    const o = k * stride + off;
    let best = 0;
    let bv = z[o]! + p[bOff]!;
    for (let c = 1; c < C; c++) {
      const v = z[o + c]! + p[bOff + c]!;
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[at + k] = best;
  }
}

/**
 * The two-class cross-entropy, summed over nb rows, of the logit differences t = db + z[k·stride +
 * row] and the rows' labels: log(1 + e^{∓t}) computed stably.
 */
function binaryLoss(z: Float32Array, stride: number, row: number, db: number, y: Int32Array, rows: Int32Array, start: number, nb: number): number {
  let loss = 0;
  for (let k = 0; k < nb; k++) {
    const t = db + z[k * stride + row]!;
    const yi = y[rows[start + k]!]!;
    const l = Math.log1p(Math.exp(-Math.abs(t)));
    loss += t >= 0 ? (yi === 1 ? l : t + l) : yi === 1 ? -t + l : l;
  }
  return loss;
}

/**
 * One row of softmax + MSE backward: turns the logits in `q` into probabilities, writes
 * d(scale·Σ_c err_c²)/d logits into `gz`, and returns `loss` plus this row's Σ_c err_c² (added
 * term by term, as a running sum). `dqAsFloat32` rounds the per-class error gradient to float32
 * before the softmax Jacobian, as the SIMD path always did by passing it through its float32
 * buffer; the scalar path keeps it in double precision.
 */
function softmaxMseBackward(
  q: Float64Array,
  T: ArrayLike<number>,
  t: number,
  nclass: number,
  scale: number,
  gz: Float64Array,
  loss: number,
  dqAsFloat32: boolean,
): number {
  let zmax = -Infinity;
  for (let c = 0; c < nclass; c++) if (q[c]! > zmax) zmax = q[c]!;
  let sum = 0;
  for (let c = 0; c < nclass; c++) {
    q[c] = Math.exp(q[c]! - zmax);
    sum += q[c]!;
  }
  let dot = 0;
  for (let c = 0; c < nclass; c++) {
    q[c] = q[c]! / sum;
    const err = q[c]! - T[t + c]!;
    loss += err * err;
    gz[c] = 2 * err * scale;
    dot += gz[c]! * q[c]!;
  }
  for (let c = 0; c < nclass; c++) {
    const dq = dqAsFloat32 ? Math.fround(gz[c]!) : gz[c]!;
    gz[c] = q[c]! * (dq - dot);
  }
  return loss;
}

/** Σ_c softmax(z)_c·(c+1) of the logits `z[off..off+nclass)`, in double precision. */
export function expectedScoreOf(z: ArrayLike<number>, off: number, nclass: number): number {
  let zmax = -Infinity;
  for (let c = 0; c < nclass; c++) if (z[off + c]! > zmax) zmax = z[off + c]!;
  let sum = 0;
  let ev = 0;
  for (let c = 0; c < nclass; c++) {
    const e = Math.exp(z[off + c]! - zmax);
    sum += e;
    ev += e * (c + 1);
  }
  return ev / sum;
}

/** Bind features to a kernel instance: copy a small dense matrix once, stream anything else. */
export function bindFeatures(engine: WasmLinear, X: ProbeInput, cols: number, maxRows: number): void {
  if (X instanceof Float32Array && X.byteLength <= DENSE_BIND_LIMIT) engine.bind(X, cols);
  else engine.bindSource(X instanceof Float32Array ? denseSource(X, cols) : X, maxRows);
}
