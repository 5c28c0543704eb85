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
import { EPOCH_STREAM, netOn, TORCH_STREAM } from './classifier.js';
import { FastStream, shuffledInto } from './fast-stream.js';
import { initParams, NO_LABELS, ProbeNet, type LossReduction, type ProbeInput, type ProbeLoss } from './model.js';
import { wasmLinear } from './wasm/linear.js';
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

export interface RelatednessFit {
  readonly devcorr: number;
  /** Expected scores of the test rows from the kept model. */
  readonly testPredictions: Float64Array;
  readonly stopping: EarlyStoppingOutcome;
  readonly params: Float64Array;
}

/** What the relatedness probe minimises: the MSE of its softmax against each row's Tai distribution. */
const taiLoss = (targets: Float64Array): ProbeLoss => ({ kind: 'distribution-mse', targets });

/** The relatedness probe: a linear layer whose softmax is fitted to each row's Tai distribution. */
export function relatednessNet(params: Float64Array, cols: number, targets: Float64Array, nclass: number): ProbeNet {
  return new ProbeNet({ inputDim: cols, nhid: 0, nclasses: nclass, dropout: 0 }, params, taiLoss(targets));
}

/** Expected score Σ_c probs_c·(c+1) of each row under `params` (scalar; the GPU trainer's predictions). */
export function expectedScores(params: Float64Array, data: { X: ProbeInput; cols: number }, nclass: number, rows: Int32Array): Float64Array {
  return relatednessNet(params, data.cols, new Float64Array(0), nclass).expectedScores(data.X, rows);
}

export function fitRelatedness(data: ScoredData, trainRows: Int32Array, devRows: Int32Array, testRows: Int32Array, o: RelatednessOptions): RelatednessFit {
  const nclass = o.nclass ?? RELATEDNESS_SCHEDULE.nclass;
  const bs = o.batchSize ?? RELATEDNESS_SCHEDULE.batchSize;
  const stat = o.earlyStopStat ?? 'spearman';
  const epochRng = new FastStream(o.seed, EPOCH_STREAM);
  const torchRng = new Rng(o.seed, TORCH_STREAM);
  const arch = { inputDim: data.cols, nhid: 0, nclasses: nclass, dropout: 0 };
  const init = o.initialParams ? Float64Array.from(o.initialParams) : initParams(arch, torchRng);
  const adam = new Adam(init.length, 0);
  const net = netOn(arch, init, adam, taiLoss(data.targets));
  const n = trainRows.length;
  if (n === 0 || devRows.length === 0) throw new Error('relatedness: empty training or dev set');
  const epochRows = new Int32Array(n);
  net.useEngine(o.simd === false ? null : wasmLinear(), data.X, bs);
  const devGold = new Float64Array(devRows.length);
  for (let k = 0; k < devRows.length; k++) devGold[k] = data.scores[devRows[k]!]!;
  let best = net.params.slice();
  let round = 0;
  const stopping = runEarlyStopping(
    {
      epochSize: o.epochsPerRound ?? RELATEDNESS_SCHEDULE.epochsPerRound,
      maxEpoch: o.maxEpoch ?? RELATEDNESS_SCHEDULE.maxEpoch,
      tenacity: RELATEDNESS_SCHEDULE.tenacity,
    },
    {
      trainRound(epochs) {
        for (let e = 0; e < epochs; e++) {
          shuffledInto(trainRows, epochRows, epochRng);
          for (let i = 0; i < n; i += bs) {
            const end = Math.min(i + bs, n);
            net.lossAndGrad(data.X, NO_LABELS, epochRows, i, end, o.lossReduction);
            adam.step(net.params, net.grad);
          }
        }
      },
      validate() {
        round++;
        if (o.scriptedValidation) return o.scriptedValidation(round);
        return devCorrelation(stat, net.expectedScores(data.X, devRows), devGold);
      },
      keepBest() {
        best = net.params.slice();
      },
    },
  );
  net.params = best;
  return {
    devcorr: stopping.best,
    testPredictions: net.expectedScores(data.X, testRows),
    stopping,
    params: best,
  };
}
