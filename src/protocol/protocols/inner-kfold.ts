/**
 * SentEval's InnerKFoldClassifier (MR, CR, SUBJ, MPQA): outer stratified k-fold over everything; in
 * each outer training part an inner k-fold per L2 value picks the penalty, a refit with 5% held out
 * is tested on the outer fold. `devacc` is the mean of the chosen inner scores, `acc` of the outer
 * test accuracies.
 */
import type { ProtocolDefinition } from '../definition.js';
import { needSplit } from '../definition.js';
import { f1Binary, runInnerKFold } from '../engines.js';
import { CLASSIFIER_SETTINGS, checkClassifierTask, classifierMetrics, classifierSetMetric, labels, probeSettings } from './classification.js';

export const innerKFold: ProtocolDefinition = {
  name: 'inner-kfold',
  describe: "SentEval's InnerKFoldClassifier: nested stratified k-fold over one split 'all'",
  trainer: "SentEval's InnerKFoldClassifier",
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
    if (names.join() !== 'all') return 'an inner-kfold task has one split, "all"';
    return checkClassifierTask(task);
  },
  setMetric: classifierSetMetric,
  async run(r) {
    const all = needSplit(r, 'all');
    const y = labels(all.y);
    const res = await runInnerKFold(all.X, y, r.task.nclasses, probeSettings(r), r.seed, r.onProgress, r.backend);
    return {
      metrics: { devacc: res.devacc, acc: res.acc, ...(r.task.extraMetrics?.includes('f1') ? { f1: f1Binary(y, res.predictions) } : {}) },
      fit: { l2: res.l2, epochs: res.epochs },
      notes: [],
      predictions: [
        { split: 'all', kind: 'class', gold: [...y], pred: [...res.predictions], ...(res.probabilities ? { probabilities: res.probabilities } : {}) },
      ],
    };
  },
};
