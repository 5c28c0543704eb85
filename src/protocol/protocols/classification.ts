/**
 * What SentEval's three classifier protocols (inner k-fold, k-fold, split) share: the probe settings
 * they train with, the settings that change their numbers, what they ask of a task, and how their
 * prediction sets are scored.
 */
import type { MetricSpec, ProtocolRun, ProtocolTask, SettingKey } from '../definition.js';
import type { ProbeSettings } from '../engines.js';
import { metricKey } from '../metrics.js';

/** The settings a classifier probe trains under, the run's with the task's overrides applied. */
export function probeSettings(r: ProtocolRun): ProbeSettings {
  const s = r.settings;
  const ov = r.task.protocolOverrides ?? {};
  return {
    kfold: s.kfold,
    optim: s.optim,
    batchSize: s.batchSize,
    tenacity: s.tenacity,
    epochSize: ov.epochSize ?? s.epochSize,
    maxEpoch: ov.maxEpoch ?? s.maxEpoch,
    nhid: s.nhid,
    dropout: s.dropout,
    lossReduction: s.lossReduction,
    ...(r.probabilities ? { probabilities: true } : {}),
  };
}

/** Every classifier setting, and the storage type of the features it reads. */
export const CLASSIFIER_SETTINGS: readonly SettingKey[] = [
  'optim',
  'batchSize',
  'tenacity',
  'epochSize',
  'maxEpoch',
  'nhid',
  'dropout',
  'lossReduction',
  'featureDtype',
];

/** devacc and acc, the optional F1 of the positive class (binary tasks: MRPC), acc_<name> per extra test set. */
export function classifierMetrics(task: ProtocolTask): MetricSpec[] {
  const extraTests = Object.keys(task.splits).filter((n) => n.startsWith('test_'));
  return [
    { key: 'devacc' },
    { key: 'acc', main: true },
    ...(task.nclasses === 2 ? [{ key: 'f1', optional: true }] : []),
    ...extraTests.map((n) => ({ key: metricKey('acc', n.slice('test_'.length)) })),
  ];
}

/** Checks every classifier protocol makes; `splits` adds the protocol's own. */
export function checkClassifierTask(task: ProtocolTask): string | undefined {
  if (task.nclasses < 2) return 'nclasses must be at least 2';
  if (task.labels.length !== task.nclasses) return `"labels" must name all ${task.nclasses} classes in index order`;
  if (task.scoreRange !== undefined) return 'a classification task has no "scoreRange"';
  return undefined;
}

/** `test` → acc, `test_mismatched` → acc_mismatched, `all` (k-fold over everything) → acc. */
export function classifierSetMetric(family: string, set: string): string {
  return set.startsWith('test_') ? metricKey(family, set.slice('test_'.length)) : family;
}

export const labels = (y: readonly number[]): Int32Array => Int32Array.from(y);
