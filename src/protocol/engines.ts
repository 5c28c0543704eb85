/**
 * SentEval's validation schemes (senteval/tools/validation.py and relatedness.py), run as
 * independent probe jobs on a ProbeBackend (the CPU worker pool unless the caller passes another).
 * Each stage submits all of its jobs before awaiting any, so a backend can train them together. Metrics are rounded exactly where SentEval rounds.
 */
import { isStoreMatrix, storeSource, type FeatureMatrix, type SourcePayload } from '../features/source.js';
import { copiedWhole } from '../probe/wasm/linear.js';
import type { ClassifierSettings } from '../probe/classifier.js';
import type { CorrelationStat } from '../probe/relatedness.js';
import { encodeTaiAll, type LowScoreQuirk } from '../probe/tai.js';
import { f1Positive, meanSquaredError, pearson, spearman } from '../stats/index.js';
import type { ClassifyJob, ClassifyResult, ProbeJob, ProbeResult, RelatednessResult } from './jobs.js';
import { npMean } from './npmean.js';
import type { ProbeBackend } from './backend.js';
import { probePool } from './pool.js';
import { pyRound } from './pyround.js';
import { stratifiedKFold } from './stratified-kfold.js';

export interface ProbeSettings extends ClassifierSettings {
  readonly kfold: number;
  /**
   * random_state of InnerKFoldClassifier's outer and inner StratifiedKFold. SentEval hard-codes
   * 1111 there whatever the run seed; the default keeps that.
   */
  readonly foldSeed?: number;
  /** Also compute the kept models' class probabilities on the test rows (for prediction sidecars). */
  readonly probabilities?: boolean;
}

export type ProgressFn = (done: number, total: number) => void;

/** SentEval's PyTorch L2 grid `[10**t for t in range(-5, -1)]`; `noreg` uses 1e-9 alone. */
export const L2_GRID: readonly number[] = [1e-5, 1e-4, 1e-3, 1e-2];
export const NOREG_L2 = 1e-9;
export const INNER_KFOLD_SEED = 1111;

export interface LabelledSet {
  readonly X: FeatureMatrix;
  readonly y: Int32Array;
}

export interface InnerKFoldResult {
  readonly devacc: number;
  readonly acc: number;
  /** Per-sample test prediction, each by the model of the sample's outer fold. */
  readonly predictions: Int32Array;
  /** Chosen L2 per outer fold. */
  readonly l2: number[];
  /** Epochs the kept (refitted) model of each outer fold trained for. */
  readonly epochs: number[];
  /** [rows, nclasses], each row by its outer fold's model (with `probabilities`). */
  readonly probabilities?: Float64Array;
}

export interface KFoldResult {
  readonly devacc: number;
  readonly acc: number;
  readonly predictions: Int32Array;
  readonly l2: number;
  /** Epochs the refitted model trained for. */
  readonly epochs: number;
  readonly probabilities?: Float64Array;
}

export interface SplitResult {
  readonly devacc: number;
  readonly acc: Record<string, number>;
  readonly predictions: Record<string, Int32Array>;
  readonly l2: number;
  /** Epochs the kept model trained for. */
  readonly epochs: number;
  readonly probabilities?: Record<string, Float64Array>;
}

export interface ScoredSet {
  readonly X: FeatureMatrix;
  readonly scores: Float64Array;
}

export interface RelatednessSettings {
  readonly lossReduction: ClassifierSettings['lossReduction'];
  /** Tai encoding of scores below 1 (STS-B): SentEval's quirk or clamped. Default faithful. */
  readonly stsLowScores?: LowScoreQuirk;
  /** Dev statistic for early stopping; default spearman (SentEval's last commit, see relatedness.ts). */
  readonly earlyStopStat?: CorrelationStat;
}

export interface RelatednessResultSummary {
  readonly devcorr: number;
  readonly pearson: number;
  readonly spearman: number;
  readonly mse: number;
  readonly predictions: Float64Array;
  /** Epochs trained before early stopping. */
  readonly epochs: number;
}

/**
 * One dataset for the worker pool from the splits, stacked; returns the row offset of each part.
 * Dense matrices are copied onto one SharedArrayBuffer; pair features (which must share one
 * sentence store) stack only their row indices, and the store is shared as it is.
 */
function shareRows(parts: readonly FeatureMatrix[]): { X: Float32Array | SourcePayload; cols: number; offsets: number[] } {
  const cols = parts[0]!.cols;
  let rows = 0;
  const offsets: number[] = [];
  for (const p of parts) {
    if (p.cols !== cols) throw new Error(`probe data: ${p.cols} feature columns, expected ${cols}`);
    if (!isStoreMatrix(p) && p.data.length !== p.rows * p.cols) throw new Error('probe data: matrix size mismatch');
    offsets.push(rows);
    rows += p.rows;
  }
  // Features small enough to copy are copied (the kernels then bind them whole, once per worker,
  // which is faster than gathering every minibatch).
  if (parts.every(isStoreMatrix) && !parts.every((p) => copiedWhole(p.pairs.scheme, rows * cols * 4))) {
    const first = parts[0]!.pairs;
    if (!parts.every((p) => p.pairs.store === first.store && p.pairs.scheme === first.scheme)) {
      throw new Error('probe data: pair features of one task must share one sentence store and scheme');
    }
    const a = new Int32Array(new SharedArrayBuffer(rows * 4));
    const b = new Int32Array(new SharedArrayBuffer(rows * 4));
    parts.forEach((p, i) => {
      a.set(p.pairs.a, offsets[i]!);
      b.set(p.pairs.b, offsets[i]!);
    });
    return { X: { kind: 'pairs', scheme: first.scheme, store: first.store.payload, a, b }, cols, offsets };
  }
  const X = new Float32Array(new SharedArrayBuffer(rows * cols * 4));
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const at = offsets[i]! * cols;
    if (!isStoreMatrix(p)) X.set(p.data, at);
    else {
      // Gathered straight into the shared buffer: no second full-size copy on the way.
      const { scheme, store, a, b } = p.pairs;
      const all = Int32Array.from({ length: p.rows }, (_, k) => k);
      storeSource(scheme, store, a, b).gather(all, 0, p.rows, X.subarray(at, at + p.rows * cols), cols);
    }
  }
  return { X, cols, offsets };
}

function range(from: number, n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = from + i;
  return r;
}

function checkLabels(y: Int32Array, n: number, nclasses: number, what: string): void {
  if (y.length !== n) throw new Error(`${what}: ${y.length} labels for ${n} feature rows`);
  for (const v of y) {
    if (!(v >= 0 && v < nclasses)) throw new Error(`${what}: label ${v} outside 0..${nclasses - 1}`);
  }
}

function classifierSettings(s: ClassifierSettings): ClassifierSettings {
  return {
    nhid: s.nhid,
    dropout: s.dropout,
    optim: s.optim,
    batchSize: s.batchSize,
    tenacity: s.tenacity,
    epochSize: s.epochSize,
    maxEpoch: s.maxEpoch,
    lossReduction: s.lossReduction,
  };
}

class Progress {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly fn?: ProgressFn,
  ) {}
  run<R extends ProbeResult>(pool: ProbeBackend, job: ProbeJob): Promise<R> {
    return pool.run(job).then((r) => {
      this.done++;
      this.fn?.(this.done, this.total);
      return r as R;
    });
  }
}

/** Index of the first maximum (np.argmax). */
function argmax(a: readonly number[]): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i;
  return b;
}

/**
 * SentEval's L2 search, shared by its three classifiers: fit every value of the grid — each fit's
 * jobs submitted before any is awaited, so a backend can train the whole grid together — score
 * each (scores are rounded before the comparison), and keep the first best, ties to the smaller L2.
 */
async function selectL2<T>(
  grid: readonly number[],
  fit: (l2: number) => Promise<T>,
  score: (fitted: T) => number,
): Promise<{ readonly l2: number; readonly score: number; readonly result: T }> {
  const fitted = await Promise.all(grid.map(fit));
  const scores = fitted.map(score);
  const best = argmax(scores);
  return { l2: grid[best]!, score: scores[best]!, result: fitted[best]! };
}

/** A k-fold score: round(100 · mean of the folds' best validation accuracies, 2) (what clf.score gives on those rows). */
const meanAccuracy = (folds: readonly ClassifyResult[]): number => pyRound(100 * npMean(folds.map((r) => r.bestAccuracy)), 2);

function take(rows: Int32Array, pos: Int32Array): Int32Array {
  const out = new Int32Array(pos.length);
  for (let i = 0; i < pos.length; i++) out[i] = rows[pos[i]!]!;
  return out;
}

/** InnerKFoldClassifier (MR, CR, SUBJ, MPQA). */
export async function runInnerKFold(
  X: FeatureMatrix,
  y: Int32Array,
  nclasses: number,
  s: ProbeSettings,
  seed: number,
  onProgress?: ProgressFn,
  backend: ProbeBackend = probePool(),
): Promise<InnerKFoldResult> {
  checkLabels(y, X.rows, nclasses, 'inner k-fold');
  const k = s.kfold;
  const foldSeed = s.foldSeed ?? INNER_KFOLD_SEED;
  const pool = backend;
  const shared = shareRows([X]);
  const dataset = pool.register({ X: shared.X, cols: shared.cols, y: Int32Array.from(y) });
  const progress = new Progress(k * (L2_GRID.length * k + 1), onProgress);
  const settings = classifierSettings(s);
  const base = { kind: 'classify', dataset, nclasses, seed, settings } as const;
  try {
    const outer = stratifiedKFold(y, k, foldSeed);
    const perFold = outer.map(async (fold) => {
      const yTrain = take(y, fold.train);
      const inner = stratifiedKFold(yTrain, k, foldSeed).map((f) => ({
        train: take(fold.train, f.train),
        test: take(fold.train, f.test),
      }));
      const { l2, score: dev } = await selectL2(
        L2_GRID,
        (l2) => Promise.all(inner.map((f) => progress.run<ClassifyResult>(pool, { ...base, train: f.train, validation: { rows: f.test }, l2, evals: [] }))),
        meanAccuracy,
      );
      const refit = await progress.run<ClassifyResult>(pool, {
        ...base,
        train: fold.train,
        validation: { split: 0.05 },
        l2,
        evals: [fold.test],
        ...(s.probabilities ? { probabilities: true } : {}),
      });
      return {
        dev,
        test: pyRound((100 * refit.correct[0]!) / fold.test.length, 2),
        l2,
        epochs: refit.epochs,
        rows: fold.test,
        pred: refit.predictions[0]!,
        prob: refit.probabilities?.[0],
      };
    });
    const folds = await Promise.all(perFold);
    const predictions = new Int32Array(X.rows);
    for (const f of folds) for (let i = 0; i < f.rows.length; i++) predictions[f.rows[i]!] = f.pred[i]!;
    let probabilities: Float64Array | undefined;
    if (s.probabilities) {
      probabilities = new Float64Array(X.rows * nclasses);
      for (const f of folds)
        for (let i = 0; i < f.rows.length; i++) probabilities.set(f.prob!.subarray(i * nclasses, (i + 1) * nclasses), f.rows[i]! * nclasses);
    }
    return {
      devacc: pyRound(npMean(folds.map((f) => f.dev)), 2),
      acc: pyRound(npMean(folds.map((f) => f.test)), 2),
      predictions,
      l2: folds.map((f) => f.l2),
      epochs: folds.map((f) => f.epochs),
      ...(probabilities ? { probabilities } : {}),
    };
  } finally {
    pool.release(dataset);
  }
}

/** KFoldClassifier (TREC, MRPC): k-fold on train picks L2, refit with 5% held out, test. */
export async function runKFold(
  train: LabelledSet,
  test: LabelledSet,
  nclasses: number,
  s: ProbeSettings,
  seed: number,
  onProgress?: ProgressFn,
  backend: ProbeBackend = probePool(),
): Promise<KFoldResult> {
  checkLabels(train.y, train.X.rows, nclasses, 'k-fold train');
  checkLabels(test.y, test.X.rows, nclasses, 'k-fold test');
  const k = s.kfold;
  const pool = backend;
  const shared = shareRows([train.X, test.X]);
  const y = new Int32Array(train.y.length + test.y.length);
  y.set(train.y, 0);
  y.set(test.y, train.y.length);
  const dataset = pool.register({ X: shared.X, cols: shared.cols, y });
  const progress = new Progress(L2_GRID.length * k + 1, onProgress);
  const base = { kind: 'classify', dataset, nclasses, seed, settings: classifierSettings(s) } as const;
  try {
    // KFoldClassifier seeds its StratifiedKFold with the run seed.
    const folds = stratifiedKFold(train.y, k, seed);
    const { l2, score: devacc } = await selectL2(
      L2_GRID,
      (l2) => Promise.all(folds.map((f) => progress.run<ClassifyResult>(pool, { ...base, train: f.train, validation: { rows: f.test }, l2, evals: [] }))),
      meanAccuracy,
    );
    const testRows = range(shared.offsets[1]!, test.X.rows);
    const refit = await progress.run<ClassifyResult>(pool, {
      ...base,
      train: range(0, train.X.rows),
      validation: { split: 0.05 },
      l2,
      evals: [testRows],
      ...(s.probabilities ? { probabilities: true } : {}),
    });
    return {
      devacc,
      acc: pyRound((100 * refit.correct[0]!) / test.X.rows, 2),
      predictions: refit.predictions[0]!,
      l2,
      epochs: refit.epochs,
      ...(refit.probabilities ? { probabilities: refit.probabilities[0]! } : {}),
    };
  } finally {
    pool.release(dataset);
  }
}

export interface SplitOptions {
  /** SentEval's `noreg` (SNLI): the single L2 value 1e-9 instead of the grid. */
  readonly noreg?: boolean;
}

/**
 * SplitClassifier (SST2, SICK-E, SNLI, MultiNLI, Quora): per L2, train with early stopping on
 * dev; pick by round(100·devacc, 2); test with the chosen model. SentEval refits that model with
 * the same seed, which reproduces it exactly, so the selection run's model is reused.
 */
export async function runSplit(
  train: LabelledSet,
  dev: LabelledSet,
  tests: Readonly<Record<string, LabelledSet>>,
  nclasses: number,
  s: ProbeSettings,
  seed: number,
  opts: SplitOptions = {},
  onProgress?: ProgressFn,
  backend: ProbeBackend = probePool(),
): Promise<SplitResult> {
  const names = Object.keys(tests);
  checkLabels(train.y, train.X.rows, nclasses, 'split train');
  checkLabels(dev.y, dev.X.rows, nclasses, 'split dev');
  for (const n of names) checkLabels(tests[n]!.y, tests[n]!.X.rows, nclasses, `split test ${n}`);
  const pool = backend;
  const parts = [train, dev, ...names.map((n) => tests[n]!)];
  const shared = shareRows(parts.map((p) => p.X));
  const y = new Int32Array(parts.reduce((a, p) => a + p.y.length, 0));
  parts.forEach((p, i) => y.set(p.y, shared.offsets[i]!));
  const dataset = pool.register({ X: shared.X, cols: shared.cols, y });
  const regs = opts.noreg ? [NOREG_L2] : L2_GRID;
  const progress = new Progress(regs.length, onProgress);
  const trainRows = range(0, train.X.rows);
  const devRows = range(shared.offsets[1]!, dev.X.rows);
  const testRows = names.map((n, i) => range(shared.offsets[i + 2]!, tests[n]!.X.rows));
  try {
    const {
      l2,
      score: devacc,
      result: chosen,
    } = await selectL2(
      regs,
      (l2) => {
        const job: ClassifyJob = {
          kind: 'classify',
          dataset,
          nclasses,
          seed,
          settings: classifierSettings(s),
          train: trainRows,
          validation: { rows: devRows },
          l2,
          evals: testRows,
          ...(s.probabilities ? { probabilities: true } : {}),
        };
        return progress.run<ClassifyResult>(pool, job);
      },
      (r) => pyRound(100 * r.bestAccuracy, 2),
    );
    const acc: Record<string, number> = {};
    const predictions: Record<string, Int32Array> = {};
    const probabilities: Record<string, Float64Array> = {};
    names.forEach((n, i) => {
      acc[n] = pyRound((100 * chosen.correct[i]!) / tests[n]!.X.rows, 2);
      predictions[n] = chosen.predictions[i]!;
      if (chosen.probabilities) probabilities[n] = chosen.probabilities[i]!;
    });
    return { devacc, acc, predictions, l2, epochs: chosen.epochs, ...(chosen.probabilities ? { probabilities } : {}) };
  } finally {
    pool.release(dataset);
  }
}

/** RelatednessPytorch (SICK-R, STS-B): Tai targets, MSE, early stopping on a dev correlation. */
export async function runRelatedness(
  train: ScoredSet,
  dev: ScoredSet,
  test: ScoredSet,
  s: RelatednessSettings,
  seed: number,
  onProgress?: ProgressFn,
  backend: ProbeBackend = probePool(),
): Promise<RelatednessResultSummary> {
  for (const [what, p] of [
    ['train', train],
    ['dev', dev],
    ['test', test],
  ] as const) {
    if (p.scores.length !== p.X.rows) throw new Error(`relatedness ${what}: ${p.scores.length} scores for ${p.X.rows} rows`);
  }
  const pool = backend;
  const shared = shareRows([train.X, dev.X, test.X]);
  const scores = new Float64Array(train.X.rows + dev.X.rows + test.X.rows);
  scores.set(train.scores, 0);
  scores.set(dev.scores, shared.offsets[1]!);
  scores.set(test.scores, shared.offsets[2]!);
  const targets = encodeTaiAll(scores, { nclass: 5, quirk: s.stsLowScores ?? 'faithful' });
  const dataset = pool.register({ X: shared.X, cols: shared.cols, targets, scores });
  const progress = new Progress(1, onProgress);
  try {
    const r = await progress.run<RelatednessResult>(pool, {
      kind: 'relatedness',
      dataset,
      train: range(0, train.X.rows),
      dev: range(shared.offsets[1]!, dev.X.rows),
      test: range(shared.offsets[2]!, test.X.rows),
      seed,
      lossReduction: s.lossReduction,
      earlyStopStat: s.earlyStopStat ?? 'spearman',
    });
    const yhat = r.testPredictions;
    const nanTo0 = (v: number): number => (Number.isNaN(v) ? 0 : v);
    return {
      devcorr: r.devcorr,
      pearson: nanTo0(pearson(yhat, test.scores)),
      spearman: nanTo0(spearman(yhat, test.scores)),
      mse: meanSquaredError(yhat, test.scores),
      predictions: yhat,
      epochs: r.epochs,
    };
  } finally {
    pool.release(dataset);
  }
}

/** sklearn f1_score(gold, pred) for the positive class 1, ×100, rounded to 2 decimals. */
export function f1Binary(gold: Int32Array, pred: Int32Array): number {
  return pyRound(100 * f1Positive(gold, pred), 2);
}
