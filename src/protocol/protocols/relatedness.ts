/**
 * SentEval's RelatednessPytorch (SICK-R, STS-B; Tai et al. 2015): gold scores become a distribution
 * over 5 classes, a Linear(d, 5) + softmax probe is fitted by MSE, early-stopped on a dev correlation
 * of the expected score (Pearson upstream; Spearman in SimCSE's copy), scored on test. It has its own
 * fixed trainer, so the classifier settings do not change its numbers.
 */
import type { ProtocolDefinition } from '../definition.js';
import { needSplit } from '../definition.js';
import { runRelatedness } from '../engines.js';
import { metricKey } from '../metrics.js';
import { earlyStopStat } from '../settings.js';

const scores = (y: readonly number[]): Float64Array => Float64Array.from(y);

export const relatedness: ProtocolDefinition = {
  name: 'relatedness',
  describe: "SentEval's RelatednessPytorch: Tai et al.'s 5-class targets, MSE, early stopping on a dev correlation",
  trainer: "SentEval's relatedness trainer (fixed Adam, batch 64, 50-epoch rounds)",
  labels: 'score',
  features: ['absdiff-prod', 'nli'],
  splitNames: 'standard',
  seeded: true,
  trainsProbes: true,
  overrides: [],
  settings: ['lossReduction', 'stsLowScores', 'relatednessEarlyStop', 'featureDtype'],
  metrics: () => [
    // Named after the statistic it is: the results say which dev correlation selected the model.
    { key: 'devpearson', when: (s) => earlyStopStat(s) === 'pearson' },
    { key: 'devspearman', when: (s) => earlyStopStat(s) === 'spearman' },
    { key: 'pearson', main: true },
    { key: 'spearman' },
    { key: 'mse' },
  ],
  checkTask(task) {
    const names = Object.keys(task.splits);
    for (const s of ['train', 'dev', 'test']) if (!names.includes(s)) return `a relatedness task needs a "${s}" split`;
    if (task.nclasses !== 5) return 'a relatedness task is fitted on the 5 classes of Tai et al. ("nclasses": 5)';
    if (task.labels.length !== 0) return 'a relatedness task has no class labels ("labels": [])';
    if (task.scoreRange === undefined) return 'a relatedness task needs "scoreRange": [min, max]';
    return undefined;
  },
  setMetric: (family, set) => (set === 'test' ? family : metricKey(family, set)),
  async run(r) {
    const train = needSplit(r, 'train');
    const dev = needSplit(r, 'dev');
    const test = needSplit(r, 'test');
    const stat = earlyStopStat(r.settings);
    const res = await runRelatedness(
      { X: train.X, scores: scores(train.y) },
      { X: dev.X, scores: scores(dev.y) },
      { X: test.X, scores: scores(test.y) },
      { lossReduction: r.settings.lossReduction, stsLowScores: r.settings.stsLowScores, earlyStopStat: stat },
      r.seed,
      r.onProgress,
      r.backend,
    );
    return {
      metrics: { [`dev${stat}`]: res.devcorr, pearson: res.pearson, spearman: res.spearman, mse: res.mse },
      fit: { epochs: res.epochs },
      notes: [],
      predictions: [{ split: 'test', kind: 'score', gold: [...test.y], pred: [...res.predictions] }],
    };
  },
};
