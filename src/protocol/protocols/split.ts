/**
 * SentEval's SplitClassifier (SST2, SICK-E, SNLI, MultiNLI, Quora, SST5): per L2 value a probe
 * early-stopped on dev; the best dev accuracy picks the model, tested on `test` and on every extra
 * test set `test_<name>` (scored as `acc_<name>`). `noreg` (SNLI) fixes L2 at 1e-9.
 */
import type { ProtocolDefinition } from '../definition.js';
import { needSplit } from '../definition.js';
import type { FeatureMatrix } from '../../features/source.js';
import { f1Binary, runSplit } from '../engines.js';
import { CLASSIFIER_SETTINGS, checkClassifierTask, classifierMetrics, classifierSetMetric, labels, probeSettings } from './classification.js';

export const split: ProtocolDefinition = {
  name: 'split',
  describe: "SentEval's SplitClassifier: L2 picked on 'dev', tested on 'test' (and test_<name>)",
  trainer: "SentEval's SplitClassifier",
  labels: 'class',
  features: ['single', 'absdiff-prod', 'nli'],
  splitNames: 'standard',
  seeded: true,
  trainsProbes: true,
  overrides: ['noreg', 'maxEpoch', 'epochSize'],
  // No folds: --kfold does not change its numbers.
  settings: CLASSIFIER_SETTINGS,
  metrics: classifierMetrics,
  checkTask(task) {
    const names = Object.keys(task.splits);
    if (!names.includes('test')) return 'a "test" split is required';
    if (!names.includes('train')) return 'a split task needs a "train" split';
    if (!names.includes('dev') && task.heldOut?.to !== 'dev') return 'a split task needs a "dev" split (or one carved by "heldOut")';
    return checkClassifierTask(task);
  },
  setMetric: classifierSetMetric,
  async run(r) {
    const train = needSplit(r, 'train');
    const dev = needSplit(r, 'dev');
    const tests: Record<string, { X: FeatureMatrix; y: Int32Array }> = {};
    for (const name of Object.keys(r.features)
      .filter((k) => k === 'test' || k.startsWith('test_'))
      .sort()) {
      tests[name] = { X: r.features[name]!.X, y: labels(r.features[name]!.y) };
    }
    const noreg = r.task.protocolOverrides?.noreg ?? false;
    const res = await runSplit(
      { X: train.X, y: labels(train.y) },
      { X: dev.X, y: labels(dev.y) },
      tests,
      r.task.nclasses,
      probeSettings(r),
      r.seed,
      { noreg },
      r.onProgress,
      r.backend,
    );
    const metrics: Record<string, number> = { devacc: res.devacc };
    for (const name of Object.keys(tests)) metrics[classifierSetMetric('acc', name)] = res.acc[name]!;
    if (r.task.extraMetrics?.includes('f1')) metrics.f1 = f1Binary(tests.test!.y, res.predictions.test!);
    return {
      metrics,
      fit: { l2: res.l2, epochs: res.epochs },
      notes: noreg ? ['no L2 search (l2 fixed at 1e-9), as SentEval does for this task'] : [],
      predictions: Object.keys(tests).map((name) => {
        const prob = res.probabilities?.[name];
        return { split: name, kind: 'class' as const, gold: [...tests[name]!.y], pred: [...res.predictions[name]!], ...(prob ? { probabilities: prob } : {}) };
      }),
    };
  },
};
