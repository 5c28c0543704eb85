/**
 * A probe job: one classifier (or relatedness regressor) fitted on rows of a registered dataset.
 * Jobs and results are plain structured-cloneable objects, so the same `runJob` runs in a worker
 * or in-process; a job is a pure function of its inputs, so results never depend on scheduling.
 */
import { countCorrect, fitClassifier, type ClassifierSettings, type LabelledData, type Validation } from '../probe/classifier.js';
import type { EarlyStoppingOutcome } from '../probe/early-stopping.js';
import type { ProbeNet } from '../probe/model.js';
import { fitLockstep, lockstepSupported, MAX_LOCKSTEP } from '../probe/lockstep.js';
import { fitRelatedness, type CorrelationStat } from '../probe/relatedness.js';
import type { LossReduction, ProbeInput } from '../probe/model.js';
import { sourceFromPayload, type SourcePayload } from '../features/source.js';

/**
 * Features plus labels or scores. `X` is a dense float32 matrix or the description of a row source
 * (pair features over the sentence store); either way on SharedArrayBuffers, so every worker reads
 * the same memory.
 */
export interface DatasetPayload {
  readonly id: number;
  readonly X: Float32Array | SourcePayload;
  readonly cols: number;
  readonly y?: Int32Array;
  readonly targets?: Float64Array;
  readonly scores?: Float64Array;
}

export interface ClassifyJob {
  readonly kind: 'classify';
  readonly dataset: number;
  readonly train: Int32Array;
  readonly validation: Validation;
  readonly nclasses: number;
  readonly l2: number;
  readonly seed: number;
  readonly settings: ClassifierSettings;
  /** Row sets to predict with the kept model. */
  readonly evals: readonly Int32Array[];
  /** Also return class probabilities of the eval rows (for prediction sidecars). */
  readonly probabilities?: boolean;
}

export interface ClassifyResult {
  readonly kind: 'classify';
  /** Best validation accuracy (fraction). */
  readonly bestAccuracy: number;
  readonly correct: number[];
  readonly predictions: Int32Array[];
  /** Per eval set, [rows, nclasses] row-major, when the job asked for them. */
  readonly probabilities?: Float64Array[];
  readonly rounds: number;
  readonly epochs: number;
}

export interface RelatednessJob {
  readonly kind: 'relatedness';
  readonly dataset: number;
  readonly train: Int32Array;
  readonly dev: Int32Array;
  readonly test: Int32Array;
  readonly seed: number;
  readonly lossReduction: LossReduction;
  readonly earlyStopStat: CorrelationStat;
}

export interface RelatednessResult {
  readonly kind: 'relatedness';
  readonly devcorr: number;
  readonly testPredictions: Float64Array;
  readonly rounds: number;
  readonly epochs: number;
}

export type ProbeJob = ClassifyJob | RelatednessJob;
export type ProbeResult = ClassifyResult | RelatednessResult;

const sources = new WeakMap<DatasetPayload, ProbeInput>();

/** The dataset's features as the probes read them (a source is built once per dataset and thread). */
export function inputOf(ds: DatasetPayload): ProbeInput {
  if (ds.X instanceof Float32Array) return ds.X;
  let src = sources.get(ds);
  if (!src) {
    src = sourceFromPayload(ds.X);
    if (src.cols !== ds.cols) throw new Error(`dataset ${ds.id}: source has ${src.cols} columns, expected ${ds.cols}`);
    sources.set(ds, src);
  }
  return src;
}

export function runJob(job: ProbeJob, ds: DatasetPayload): ProbeResult {
  const X = inputOf(ds);
  if (job.kind === 'classify') {
    if (!ds.y) throw new Error(`dataset ${ds.id} has no labels`);
    const data = { X, cols: ds.cols, y: ds.y };
    const fit = fitClassifier(data, job.train, job.validation, {
      nclasses: job.nclasses,
      l2: job.l2,
      seed: job.seed,
      settings: job.settings,
    });
    return classifyResult(job, data, fit.net, fit.bestAccuracy, fit.stopping);
  }
  if (!ds.targets || !ds.scores) throw new Error(`dataset ${ds.id} has no relatedness targets`);
  const fit = fitRelatedness({ X, cols: ds.cols, targets: ds.targets, scores: ds.scores }, job.train, job.dev, job.test, {
    seed: job.seed,
    lossReduction: job.lossReduction,
    earlyStopStat: job.earlyStopStat,
  });
  return {
    kind: 'relatedness',
    devcorr: fit.devcorr,
    testPredictions: fit.testPredictions,
    rounds: fit.stopping.rounds,
    epochs: fit.stopping.epochs,
  };
}

const sameValidation = (a: Validation, b: Validation): boolean => ('rows' in a ? 'rows' in b && a.rows === b.rows : 'split' in b && a.split === b.split);

const sameSettings = (a: ClassifyJob['settings'], b: ClassifyJob['settings']): boolean =>
  (Object.keys(a) as (keyof ClassifyJob['settings'])[]).every((k) => a[k] === b[k]) && Object.keys(a).length === Object.keys(b).length;

/**
 * Whether two jobs are one fold of an L2 grid: classifiers that differ at most in their L2 value
 * (the same row sets, by identity, as the engines submit them), so they can train in lockstep.
 */
export function lockstepPartners(a: ProbeJob, b: ProbeJob): boolean {
  return (
    a.kind === 'classify' &&
    b.kind === 'classify' &&
    // Only the logistic probe trains in lockstep (lockstepSupported); grouping MLP jobs would run them
    // one after another on one worker while the others idle.
    a.settings.nhid === 0 &&
    a.dataset === b.dataset &&
    a.nclasses === b.nclasses &&
    a.seed === b.seed &&
    a.train === b.train &&
    sameValidation(a.validation, b.validation) &&
    a.evals.length === b.evals.length &&
    a.evals.every((e, i) => e === b.evals[i]) &&
    (a.probabilities ?? false) === (b.probabilities ?? false) &&
    sameSettings(a.settings, b.settings)
  );
}

/** Most jobs `runJobs` takes at once (the pool groups no more). */
export const MAX_JOB_GROUP = MAX_LOCKSTEP;

/**
 * Runs a group of jobs, pairwise `lockstepPartners` (or a single job): an L2 grid fold is trained
 * in lockstep where this thread supports it, else one job at a time; the results are the same.
 */
export function runJobs(jobs: readonly ProbeJob[], ds: DatasetPayload): ProbeResult[] {
  const first = jobs[0]!;
  if (jobs.length === 1 || first.kind !== 'classify' || !lockstepSupported(first.settings)) return jobs.map((j) => runJob(j, ds));
  if (!ds.y) throw new Error(`dataset ${ds.id} has no labels`);
  const classify = jobs as readonly ClassifyJob[];
  const data = { X: inputOf(ds), cols: ds.cols, y: ds.y };
  const fits = fitLockstep(data, first.train, first.validation, {
    nclasses: first.nclasses,
    l2s: classify.map((j) => j.l2),
    seed: first.seed,
    settings: first.settings,
  });
  return fits.map((fit, i) => classifyResult(classify[i]!, data, fit.net, fit.bestAccuracy, fit.stopping));
}

/** A fitted classifier's result: the kept model's predictions on the job's eval row sets. */
export function classifyResult(job: ClassifyJob, data: LabelledData, net: ProbeNet, bestAccuracy: number, stopping: EarlyStoppingOutcome): ClassifyResult {
  const predictions: Int32Array[] = [];
  const correct: number[] = [];
  const probabilities: Float64Array[] = [];
  for (const rows of job.evals) {
    const pred = new Int32Array(rows.length);
    correct.push(countCorrect(net, data, rows, pred));
    predictions.push(pred);
    if (job.probabilities) {
      const pr = new Float64Array(rows.length * job.nclasses);
      net.probabilities(data.X, rows, pr);
      probabilities.push(pr);
    }
  }
  return {
    kind: 'classify',
    bestAccuracy,
    correct,
    predictions,
    ...(job.probabilities ? { probabilities } : {}),
    rounds: stopping.rounds,
    epochs: stopping.epochs,
  };
}
