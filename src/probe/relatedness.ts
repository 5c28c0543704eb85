/**
 * SentEval's RelatednessPytorch (Tai et al. 2015): Linear(d, 5) + softmax trained with MSE against
 * the Tai distribution of the gold score; Adam (lr 1e-3, no L2), batch 64, rounds of 50 epochs,
 * early stopping on a dev correlation of the expected score probs·[1..5], stop at the 4th round
 * without improvement (count >= 3 before the increment), at most 1000 epochs.
 *
 * Early-stopping statistic: facebookresearch/SentEval (what GenSen ran) uses pearsonr; the SentEval
 * copy in SimCSE's repository computes
 *   pr = spearmanr(yhat, self.devscores)[0]; pr = 0 if pr != pr else pr
 * under the same "early stop on Pearson" comment, and the reference measurements this harness is
 * validated against match that copy. Default `spearman`; `pearson` reproduces upstream SentEval
 * (docs/protocol.md section 6). Either way a NaN statistic (constant predictions) counts as 0.
 */
import { Rng } from '../util/rng.js';
import { runEarlyStopping, type EarlyStoppingOutcome } from './early-stopping.js';
import { EPOCH_STREAM, TORCH_STREAM } from './classifier.js';
import { FastStream, shuffledInto } from './fast-stream.js';
import { bindFeatures, EVAL_CHUNK, identityRows, initParams, type LossReduction, type ProbeInput } from './model.js';
import { wasmLinear, type WasmLinear } from './wasm/linear.js';
import { Adam } from './optim.js';
import { pearson, spearman } from '../stats/index.js';

export type CorrelationStat = 'pearson' | 'spearman';

export interface ScoredData {
  /** Row-major [rows × cols] float32, or a source of such rows (pair features). */
  readonly X: ProbeInput;
  readonly cols: number;
  /** Tai targets, row-major [rows × nclass]. */
  readonly targets: Float64Array;
  /** Gold scores (what the dev correlation is measured against). */
  readonly scores: Float64Array;
}

/** RelatednessPytorch's fixed schedule (the CPU fit's defaults; the GPU trainer runs the same). */
export const RELATEDNESS_SCHEDULE = { nclass: 5, batchSize: 64, epochsPerRound: 50, maxEpoch: 1000, tenacity: 3 } as const;

/** The dev statistic early stopping reads: Spearman or Pearson of the expected scores, NaN as 0. */
export function devCorrelation(stat: CorrelationStat, yhat: Float64Array, gold: Float64Array): number {
  const r = stat === 'spearman' ? spearman(yhat, gold) : pearson(yhat, gold);
  return Number.isNaN(r) ? 0 : r;
}

export interface RelatednessOptions {
  readonly seed: number;
  readonly lossReduction: LossReduction;
  readonly earlyStopStat?: CorrelationStat;
  readonly nclass?: number;
  readonly batchSize?: number;
  readonly epochsPerRound?: number;
  readonly maxEpoch?: number;
  /** Test hook: start from these parameters instead of the seeded init. */
  readonly initialParams?: Float64Array;
  /** Test hook: replaces the dev statistic (called once per round, 1-based). */
  readonly scriptedValidation?: (round: number) => number;
  /** Use the WebAssembly SIMD kernels when available (default true). */
  readonly simd?: boolean;
}

function loadWeights(e: WasmLinear, params: Float64Array, d: number, nclass: number): void {
  e.loadWeights(params, d, nclass, false);
}

/** relatednessLossAndGrad on the SIMD kernels (features bound to `e`). */
export function relatednessLossAndGradSimd(
  e: WasmLinear,
  params: Float64Array,
  grad: Float64Array,
  data: ScoredData,
  nclass: number,
  rows: Int32Array,
  start: number,
  end: number,
  reduction: LossReduction,
): number {
  const d = data.cols;
  const T = data.targets;
  const bOff = nclass * d;
  const nb = end - start;
  const scale = reduction === 'mean' ? 1 / (nb * nclass) : 1;
  loadWeights(e, params, d, nclass);
  e.stage(rows, start, nb);
  e.forward(nb, nclass);
  const z = e.z;
  const q = new Float64Array(nclass);
  for (let c = 0; c < nclass; c++) grad[bOff + c] = 0;
  let loss = 0;
  const gz = new Float64Array(nclass);
  for (let k = 0; k < nb; k++) {
    const o = k * nclass;
    for (let c = 0; c < nclass; c++) q[c] = z[o + c]! + params[bOff + c]!;
    // This path has always passed dq through the float32 logit buffer; keep that rounding.
    loss = softmaxMseBackward(q, T, rows[start + k]! * nclass, nclass, scale, gz, loss, true);
    for (let c = 0; c < nclass; c++) {
      z[o + c] = gz[c]!;
      grad[bOff + c] += gz[c]!;
    }
  }
  e.g.fill(0, 0, nclass * e.dp);
  e.backward(nb, nclass);
  e.storeGrad(grad, d, nclass, false);
  return loss * scale;
}

function expectedScoresSimd(e: WasmLinear, params: Float64Array, d: number, nclass: number, rows: Int32Array): Float64Array {
  loadWeights(e, params, d, nclass);
  const out = new Float64Array(rows.length);
  const bOff = nclass * d;
  const z = e.z;
  for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
    const nb = Math.min(EVAL_CHUNK, rows.length - s);
    e.stage(rows, s, nb);
    e.forward(nb, nclass);
    for (let k = 0; k < nb; k++) {
      let zmax = -Infinity;
      for (let c = 0; c < nclass; c++) zmax = Math.max(zmax, z[k * nclass + c]! + params[bOff + c]!);
      let sum = 0;
      let ev = 0;
      for (let c = 0; c < nclass; c++) {
        const ex = Math.exp(z[k * nclass + c]! + params[bOff + c]! - zmax);
        sum += ex;
        ev += ex * (c + 1);
      }
      out[s + k] = ev / sum;
    }
  }
  return out;
}

export interface RelatednessFit {
  readonly devcorr: number;
  /** Expected scores of the test rows from the kept model. */
  readonly testPredictions: Float64Array;
  readonly stopping: EarlyStoppingOutcome;
  readonly params: Float64Array;
}

/** Linear + softmax + MSE on one minibatch; gradient into `grad`, returns the loss. */
export function relatednessLossAndGrad(
  params: Float64Array,
  grad: Float64Array,
  data: ScoredData,
  nclass: number,
  rows: Int32Array,
  start: number,
  end: number,
  reduction: LossReduction,
): number {
  const d = data.cols;
  if (!(data.X instanceof Float32Array)) {
    // A source: gather the minibatch (and its targets) into a dense block first.
    const b = gatherScored(data, nclass, rows, start, end);
    return relatednessLossAndGrad(params, grad, b, nclass, identityRows(end - start), 0, end - start, reduction);
  }
  const X = data.X;
  const T = data.targets;
  const bOff = nclass * d;
  // nn.MSELoss's mean is over every element of the [batch × nclass] output.
  const scale = reduction === 'mean' ? 1 / ((end - start) * nclass) : 1;
  const q = new Float64Array(nclass);
  const dq = new Float64Array(nclass);
  grad.fill(0);
  let loss = 0;
  for (let k = start; k < end; k++) {
    const r = rows[k]!;
    const o = r * d;
    for (let c = 0; c < nclass; c++) {
      const wo = c * d;
      let s0 = 0;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < d; j += 2) {
        s0 += params[wo + j]! * X[o + j]!;
        s1 += params[wo + j + 1]! * X[o + j + 1]!;
      }
      if (j < d) s0 += params[wo + j]! * X[o + j]!;
      q[c] = params[bOff + c]! + s0 + s1;
    }
    loss = softmaxMseBackward(q, T, r * nclass, nclass, scale, dq, loss, false);
    for (let c = 0; c < nclass; c++) {
      const gz = dq[c]!;
      grad[bOff + c] += gz;
      const wo = c * d;
      for (let j = 0; j < d; j++) grad[wo + j] += gz * X[o + j]!;
    }
  }
  return loss * scale;
}

/**
 * One row of softmax + MSE backward, shared by the SIMD and scalar trainers: turns the logits in
 * `q` into probabilities, writes d(scale·Σ_c err_c²)/d logits into `gz`, and returns `loss` plus
 * this row's Σ_c err_c² (added term by term, as a running sum). `dqAsFloat32` rounds the
 * per-class error gradient to float32 before the softmax Jacobian, as the SIMD path always did
 * by passing it through its float32 buffer; the scalar path keeps it in double precision.
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

/** A source's minibatch as dense data whose rows are 0..n-1 (targets and scores moved along). */
function gatherScored(data: ScoredData, nclass: number, rows: Int32Array, start: number, end: number): ScoredData {
  const n = end - start;
  const X = new Float32Array(n * data.cols);
  (data.X as Exclude<ProbeInput, Float32Array>).gather(rows, start, end, X, data.cols);
  const targets = new Float64Array(n * nclass);
  const scores = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = rows[start + k]!;
    targets.set(data.targets.subarray(r * nclass, (r + 1) * nclass), k * nclass);
    scores[k] = data.scores[r]!;
  }
  return { X, cols: data.cols, targets, scores };
}

/** Expected score Σ_c probs_c·(c+1) for each row. */
export function expectedScores(params: Float64Array, data: { X: ProbeInput; cols: number }, nclass: number, rows: Int32Array): Float64Array {
  const d = data.cols;
  const src = data.X;
  if (!(src instanceof Float32Array)) {
    const out = new Float64Array(rows.length);
    const blk = new Float32Array(Math.min(EVAL_CHUNK, rows.length) * d);
    for (let s = 0; s < rows.length; s += EVAL_CHUNK) {
      const nb = Math.min(EVAL_CHUNK, rows.length - s);
      src.gather(rows, s, s + nb, blk, d);
      out.set(expectedScores(params, { X: blk, cols: d }, nclass, identityRows(nb)), s);
    }
    return out;
  }
  const X = src;
  const bOff = nclass * d;
  const z = new Float64Array(nclass);
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const o = rows[k]! * d;
    for (let c = 0; c < nclass; c++) {
      const wo = c * d;
      let s = params[bOff + c]!;
      for (let j = 0; j < d; j++) s += params[wo + j]! * X[o + j]!;
      z[c] = s;
    }
    out[k] = expectedScoreOf(z, 0, nclass);
  }
  return out;
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

export function fitRelatedness(
  data: ScoredData,
  trainRows: Int32Array,
  devRows: Int32Array,
  testRows: Int32Array,
  o: RelatednessOptions,
): RelatednessFit {
  const nclass = o.nclass ?? RELATEDNESS_SCHEDULE.nclass;
  const bs = o.batchSize ?? RELATEDNESS_SCHEDULE.batchSize;
  const stat = o.earlyStopStat ?? 'spearman';
  const epochRng = new FastStream(o.seed, EPOCH_STREAM);
  const torchRng = new Rng(o.seed, TORCH_STREAM);
  const arch = { inputDim: data.cols, nhid: 0, nclasses: nclass, dropout: 0 };
  const params = o.initialParams ? Float64Array.from(o.initialParams) : initParams(arch, torchRng);
  const grad = new Float64Array(params.length);
  const adam = new Adam(params.length, 0);
  const n = trainRows.length;
  if (n === 0 || devRows.length === 0) throw new Error('relatedness: empty training or dev set');
  const epochRows = new Int32Array(n);
  const engine = o.simd === false ? null : wasmLinear();
  if (engine) {
    bindFeatures(engine, data.X, data.cols, Math.max(bs, EVAL_CHUNK));
    engine.reserve(nclass, Math.max(bs, EVAL_CHUNK), nclass * data.cols);
  }
  const predict = (p: Float64Array, rows: Int32Array): Float64Array =>
    engine ? expectedScoresSimd(engine, p, data.cols, nclass, rows) : expectedScores(p, data, nclass, rows);
  const devGold = new Float64Array(devRows.length);
  for (let k = 0; k < devRows.length; k++) devGold[k] = data.scores[devRows[k]!]!;
  let best = params.slice();
  let round = 0;
  const stopping = runEarlyStopping(
    { epochSize: o.epochsPerRound ?? RELATEDNESS_SCHEDULE.epochsPerRound, maxEpoch: o.maxEpoch ?? RELATEDNESS_SCHEDULE.maxEpoch, tenacity: RELATEDNESS_SCHEDULE.tenacity },
    {
      trainRound(epochs) {
        for (let e = 0; e < epochs; e++) {
          shuffledInto(trainRows, epochRows, epochRng);
          for (let i = 0; i < n; i += bs) {
            const end = Math.min(i + bs, n);
            if (engine) relatednessLossAndGradSimd(engine, params, grad, data, nclass, epochRows, i, end, o.lossReduction);
            else relatednessLossAndGrad(params, grad, data, nclass, epochRows, i, end, o.lossReduction);
            adam.step(params, grad);
          }
        }
      },
      validate() {
        round++;
        if (o.scriptedValidation) return o.scriptedValidation(round);
        return devCorrelation(stat, predict(params, devRows), devGold);
      },
      keepBest() {
        best = params.slice();
      },
    },
  );
  return {
    devcorr: stopping.best,
    testPredictions: predict(best, testRows),
    stopping,
    params: best,
  };
}
