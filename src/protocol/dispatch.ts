import {
  f1Binary,
  runInnerKFold,
  runKFold,
  runRelatedness,
  runSplit,
  type ProbeSettings,
} from './engines.js';
import type { ProtocolSettings } from './settings.js';
import type { ProbeBackend } from './backend.js';
import { runUnsupervisedSts, stsMetrics, type StsDataset } from './unsupervised-sts.js';
import type { TaskDefinition } from '../tasks/registry.js';
import { isPairMatrix, type FeatureMatrix } from '../features/source.js';
import type { Matrix } from '../util/matrix.js';
import type { SampleOrigin } from '../tasks/types.js';

/** Probe features and labels (class index or gold score) per split, in SentEval's order. */
export type TaskFeatures = Readonly<Record<string, { readonly X: FeatureMatrix; readonly y: readonly number[]; readonly origin?: SampleOrigin }>>;

export interface SplitPredictions {
  readonly split: string;
  readonly kind: 'class' | 'score';
  readonly gold: readonly number[];
  /** Class index, or for relatedness the expected score Σ p_k·k of the predicted distribution. */
  readonly pred: readonly number[];
  /** Source file and line of each example (same order as gold/pred). */
  readonly origin?: SampleOrigin;
  /** Class names by index (classification tasks). */
  readonly labels?: readonly string[];
  /** Class probabilities per example, [n, nclasses] row-major (when asked for). */
  readonly probabilities?: Float64Array;
}

/** What model selection chose: the L2 penalty (per outer fold for inner k-fold) and epochs trained. */
export interface FitChoice {
  /** One value, or one per outer fold (inner k-fold); absent for relatedness (no L2 search). */
  readonly l2?: number | readonly number[];
  readonly epochs: number | readonly number[];
}

export interface ProtocolOutcome {
  readonly metrics: Record<string, number>;
  /** Absent for protocols without a fitted probe (unsupervised STS). */
  readonly fit?: FitChoice;
  readonly notes: string[];
  readonly predictions: SplitPredictions[];
}

type Progress = (done: number, total: number) => void;

function need(features: TaskFeatures, def: TaskDefinition, name: string): { X: FeatureMatrix; y: readonly number[] } {
  const s = features[name];
  if (!s) throw new Error(`task ${def.id}: protocol ${def.protocol} needs a '${name}' split`);
  return s;
}

const labels = (y: readonly number[]) => Int32Array.from(y);
const scores = (y: readonly number[]) => Float64Array.from(y);

/** The two halves of `pair` features ([u, v] per row) as separate matrices. */
function splitPair(def: TaskDefinition, X: FeatureMatrix): { u: Matrix; v: Matrix } {
  if (!isPairMatrix(X) || X.pairs.scheme !== 'pair') throw new Error(`task ${def.id}: ${def.protocol} needs "pair" features`);
  const { store, a, b } = X.pairs;
  const d = store.dim;
  const u = new Float32Array(X.rows * d);
  const v = new Float32Array(X.rows * d);
  for (let i = 0; i < X.rows; i++) {
    store.readRow(a[i]!, u, i * d);
    store.readRow(b[i]!, v, i * d);
  }
  return { u: { rows: X.rows, cols: d, data: u }, v: { rows: X.rows, cols: d, data: v } };
}

/** Dispatch a task to the protocol engine its definition names; metrics as SentEval reports them. */
export async function runProtocol(
  def: TaskDefinition,
  features: TaskFeatures,
  settings: ProtocolSettings,
  seed: number,
  onProgress?: Progress,
  opts: { readonly probabilities?: boolean; readonly backend?: ProbeBackend } = {},
): Promise<ProtocolOutcome> {
  const ov = def.protocolOverrides ?? {};
  const probe: ProbeSettings = {
    kfold: settings.kfold,
    optim: settings.optim,
    batchSize: settings.batchSize,
    tenacity: settings.tenacity,
    epochSize: ov.epochSize ?? settings.epochSize,
    maxEpoch: ov.maxEpoch ?? settings.maxEpoch,
    nhid: settings.nhid,
    dropout: settings.dropout,
    lossReduction: settings.lossReduction,
    ...(opts.probabilities ? { probabilities: true } : {}),
  };
  const nclasses = def.nclasses ?? 0;
  switch (def.protocol) {
    case 'inner-kfold': {
      const all = need(features, def, 'all');
      const y = labels(all.y);
      const r = await runInnerKFold(all.X, y, nclasses, probe, seed, onProgress, opts.backend);
      return {
        metrics: { devacc: r.devacc, acc: r.acc },
        fit: { l2: r.l2, epochs: r.epochs },
        notes: [],
        predictions: [{ split: 'all', kind: 'class', gold: [...y], pred: [...r.predictions], ...(r.probabilities ? { probabilities: r.probabilities } : {}) }],
      };
    }
    case 'kfold': {
      const train = need(features, def, 'train');
      const test = need(features, def, 'test');
      const yTest = labels(test.y);
      const r = await runKFold({ X: train.X, y: labels(train.y) }, { X: test.X, y: yTest }, nclasses, probe, seed, onProgress, opts.backend);
      const metrics: Record<string, number> = { devacc: r.devacc, acc: r.acc };
      if (def.metrics.includes('f1')) metrics.f1 = f1Binary(yTest, r.predictions);
      return {
        metrics,
        fit: { l2: r.l2, epochs: r.epochs },
        notes: [],
        predictions: [{ split: 'test', kind: 'class', gold: [...yTest], pred: [...r.predictions], ...(r.probabilities ? { probabilities: r.probabilities } : {}) }],
      };
    }
    case 'split': {
      const train = need(features, def, 'train');
      const dev = need(features, def, 'dev');
      const tests: Record<string, { X: FeatureMatrix; y: Int32Array }> = {};
      for (const name of Object.keys(features).filter((k) => k === 'test' || k.startsWith('test_')).sort()) {
        tests[name] = { X: features[name]!.X, y: labels(features[name]!.y) };
      }
      const r = await runSplit(
        { X: train.X, y: labels(train.y) },
        { X: dev.X, y: labels(dev.y) },
        tests,
        nclasses,
        probe,
        seed,
        { noreg: ov.noreg ?? false },
        onProgress,
        opts.backend,
      );
      const metrics: Record<string, number> = { devacc: r.devacc };
      const predictions: SplitPredictions[] = [];
      for (const name of Object.keys(tests)) {
        metrics[name === 'test' ? 'acc' : `acc${name.slice(4)}`] = r.acc[name]!;
        const prob = r.probabilities?.[name];
        predictions.push({ split: name, kind: 'class', gold: [...tests[name]!.y], pred: [...r.predictions[name]!], ...(prob ? { probabilities: prob } : {}) });
      }
      return { metrics, fit: { l2: r.l2, epochs: r.epochs }, notes: ov.noreg ? ['no L2 search (l2 fixed at 1e-9), as SentEval does for this task'] : [], predictions };
    }
    case 'relatedness': {
      const train = need(features, def, 'train');
      const dev = need(features, def, 'dev');
      const test = need(features, def, 'test');
      const r = await runRelatedness(
        { X: train.X, scores: scores(train.y) },
        { X: dev.X, scores: scores(dev.y) },
        { X: test.X, scores: scores(test.y) },
        { ...probe, stsLowScores: settings.stsLowScores, earlyStopStat: settings.relatednessEarlyStop ?? 'spearman' },
        seed,
        onProgress,
        opts.backend,
      );
      return {
        // Named after the statistic it is, as SentEval names it (devspearman; devpearson in old code).
        metrics: {
          [`dev${settings.relatednessEarlyStop ?? 'spearman'}`]: r.devcorr,
          pearson: r.pearson,
          spearman: r.spearman,
          mse: r.mse,
        },
        fit: { epochs: r.epochs },
        notes: [],
        predictions: [{ split: 'test', kind: 'score', gold: [...test.y], pred: [...r.predictions] }],
      };
    }
    case 'unsupervised-sts': {
      // No probe: the seed and the probe settings play no part. Datasets in the definition's order.
      const datasets: StsDataset[] = Object.keys(def.splits).map((name) => {
        const s = need(features, def, name);
        return { name, ...splitPair(def, s.X), gold: s.y };
      });
      const r = runUnsupervisedSts(datasets);
      onProgress?.(1, 1);
      return {
        metrics: stsMetrics(r),
        notes: [],
        predictions: r.datasets.map((d, k) => ({ split: d.name, kind: 'score', gold: [...datasets[k]!.gold], pred: [...d.scores] })),
      };
    }
  }
}
