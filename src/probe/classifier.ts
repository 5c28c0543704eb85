/**
 * SentEval's PyTorchClassifier/MLP training, on rows of a shared float32 feature matrix.
 *
 * Random streams: SentEval reseeds numpy (validation split, epoch permutations) and torch
 * (init, dropout) at each classifier creation. We mirror that with two fresh `Rng` streams of the
 * run seed per classifier, so every probe is a pure function of (data, rows, l2, seed, settings).
 */
import { Rng } from '../util/rng.js';
import { runEarlyStopping, type EarlyStoppingOutcome } from './early-stopping.js';
import { CROSS_ENTROPY, initParams, ProbeNet, type LossReduction, type ProbeArch, type ProbeInput, type ProbeLoss } from './model.js';
import { makeOptimizer, type OptimName, type Optimizer } from './optim.js';
import { wasmLinear } from './wasm/linear.js';
import { FastStream, shuffledInto } from './fast-stream.js';

export interface ClassifierSettings {
  readonly nhid: number;
  readonly dropout: number;
  readonly optim: OptimName;
  readonly batchSize: number;
  readonly tenacity: number;
  readonly epochSize: number;
  readonly maxEpoch: number;
  readonly lossReduction: LossReduction;
}

/** A shared dataset: `X` row-major [rows × cols] float32 (or a source of such rows), `y` class labels. */
export interface LabelledData {
  readonly X: ProbeInput;
  readonly cols: number;
  readonly y: Int32Array;
}

export type Validation = { readonly rows: Int32Array } | { readonly split: number };

export interface FitResult {
  readonly net: ProbeNet;
  /** Best validation accuracy (a fraction, as SentEval's fit returns it). */
  readonly bestAccuracy: number;
  readonly stopping: EarlyStoppingOutcome;
}

export const NUMPY_STREAM = 0;
export const TORCH_STREAM = 1;
/** Epoch shuffles and dropout masks (the hot draws). */
export const EPOCH_STREAM = 2;

/** Random 5% hold-out as prepare_split does: `perm[int(split·n):]` trains, the head validates. */
export function validationSplit(rows: Int32Array, split: number, rng: Rng): { train: Int32Array; dev: Int32Array } {
  const n = rows.length;
  const perm = rng.permutation(n);
  const cut = Math.trunc(split * n);
  const train = new Int32Array(n - cut);
  const dev = new Int32Array(cut);
  for (let k = 0; k < cut; k++) dev[k] = rows[perm[k]!]!;
  for (let k = cut; k < n; k++) train[k - cut] = rows[perm[k]!]!;
  return { train, dev };
}

/** The rows a probe trains on and those it validates on (the numpy stream draws a split). */
export function trainingRows(trainRows: Int32Array, validation: Validation, numpyRng: Rng): { train: Int32Array; dev: Int32Array } {
  const { train, dev } = 'rows' in validation ? { train: trainRows, dev: validation.rows } : validationSplit(trainRows, validation.split, numpyRng);
  if (train.length === 0 || dev.length === 0) {
    throw new Error(`probe: empty ${train.length === 0 ? 'training' : 'validation'} set`);
  }
  return { train, dev };
}

export function countCorrect(net: ProbeNet, data: LabelledData, rows: Int32Array, pred?: Int32Array): number {
  const out = pred ?? new Int32Array(rows.length);
  net.predict(data.X, rows, out);
  let c = 0;
  for (let k = 0; k < rows.length; k++) if (out[k] === data.y[rows[k]!]) c++;
  return c;
}

export interface FitOptions {
  readonly nclasses: number;
  readonly l2: number;
  readonly seed: number;
  readonly settings: ClassifierSettings;
  /** Test hook: replaces the validation accuracy (called once per round, 1-based). */
  readonly scriptedValidation?: (round: number) => number;
  /** Test hook: start from these parameters instead of the seeded init. */
  readonly initialParams?: Float64Array;
  /** Use the WebAssembly SIMD kernels when available (default true). */
  readonly simd?: boolean;
}

/**
 * A net minimising `loss` from `init` whose parameters and gradient live in the optimizer's vectors
 * where it has them: no step then copies them into its memory and the parameters back.
 */
export function netOn(arch: ProbeArch, init: Float64Array, optimizer: Optimizer, loss: ProbeLoss = CROSS_ENTROPY): ProbeNet {
  const v = optimizer.vectors;
  if (!v) return new ProbeNet(arch, init, loss);
  v.params.set(init);
  return new ProbeNet(arch, v.params, loss, v.grad);
}

export function fitClassifier(data: LabelledData, trainRows: Int32Array, validation: Validation, o: FitOptions): FitResult {
  const s = o.settings;
  const numpyRng = new Rng(o.seed, NUMPY_STREAM);
  const torchRng = new Rng(o.seed, TORCH_STREAM);
  const epochRng = new FastStream(o.seed, EPOCH_STREAM);
  const arch: ProbeArch = { inputDim: data.cols, nhid: s.nhid, nclasses: o.nclasses, dropout: s.dropout };
  const params = o.initialParams ? Float64Array.from(o.initialParams) : initParams(arch, torchRng);
  const optimizer = makeOptimizer(s.optim, params.length, o.l2);
  const net = netOn(arch, params, optimizer);
  net.useEngine(o.simd === false ? null : wasmLinear(), data.X, s.batchSize);

  const { train, dev } = trainingRows(trainRows, validation, numpyRng);

  const n = train.length;
  const epochRows = new Int32Array(n);
  const bs = s.batchSize;
  let best: Float64Array = net.params.slice();
  let round = 0;
  const pred = new Int32Array(dev.length);
  const stopping = runEarlyStopping(s, {
    trainRound(epochs) {
      for (let e = 0; e < epochs; e++) {
        shuffledInto(train, epochRows, epochRng);
        for (let i = 0; i < n; i += bs) {
          net.lossAndGrad(data.X, data.y, epochRows, i, Math.min(i + bs, n), s.lossReduction, epochRng, false);
          optimizer.step(net.params, net.grad);
        }
      }
    },
    validate() {
      round++;
      if (o.scriptedValidation) return o.scriptedValidation(round);
      return countCorrect(net, data, dev, pred) / dev.length;
    },
    keepBest() {
      best = net.params.slice();
    },
  });
  net.params = best;
  return { net, bestAccuracy: stopping.best, stopping };
}
