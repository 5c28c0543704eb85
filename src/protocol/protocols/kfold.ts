/**
 * SentEval's KFoldClassifier (TREC, MRPC): a stratified k-fold on train per L2 value picks the
 * penalty; a refit on all of train with 5% held out is tested on the test split.
 */
import type { ProtocolDefinition } from '../definition.js';
import { needSplit } from '../definition.js';
import { f1Binary, runKFold } from '../engines.js';
import { CLASSIFIER_SETTINGS, checkClassifierTask, classifierMetrics, classifierSetMetric, labels, probeSettings } from './classification.js';

export const kfold: ProtocolDefinition = {
  name: 'kfold',
  describe: "SentEval's KFoldClassifier: stratified k-fold on 'train' picks L2, then 'test'",
  trainer: "SentEval's KFoldClassifier",
  labels: 'class',
  features: ['single', 'absdiff-prod', 'nli'],
  splitNames: 'standard',
  seeded: true,
  trainsProbes: true,
  overrides: ['maxEpoch', 'epochSize'],
  settings: ['kfold', ...CLASSIFIER_SETTINGS],
  metrics: classifierMetrics,
  checkTask(task) {
    const names = Object.keys(task.splits);
    if (!names.includes('train') || !names.includes('test')) return 'a kfold task needs a "train" and a "test" split';
    return checkClassifierTask(task);
  },
  setMetric: classifierSetMetric,
  async run(r) {
    const train = needSplit(r, 'train');
    const test = needSplit(r, 'test');
    const yTest = labels(test.y);
    const res = await runKFold({ X: train.X, y: labels(train.y) }, { X: test.X, y: yTest }, r.task.nclasses, probeSettings(r), r.seed, r.onProgress, r.backend);
    return {
      metrics: { devacc: res.devacc, acc: res.acc, ...(r.task.extraMetrics?.includes('f1') ? { f1: f1Binary(yTest, res.predictions) } : {}) },
      fit: { l2: res.l2, epochs: res.epochs },
      notes: [],
      predictions: [
        { split: 'test', kind: 'class', gold: [...yTest], pred: [...res.predictions], ...(res.probabilities ? { probabilities: res.probabilities } : {}) },
      ],
    };
  },
};
