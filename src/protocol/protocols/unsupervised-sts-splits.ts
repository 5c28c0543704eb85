/**
 * SimCSE's STSBenchmarkEval and SICKRelatednessEval (princeton-nlp/SimCSE, SentEval/senteval/sts.py):
 * STS-style scoring of a supervised task's files, without training. Each split — train, dev, test — is
 * scored as an STS year scores a dataset: the cosine of the two sentence vectors per pair (NaN as 0),
 * scipy's Pearson and Spearman against the gold scores. SimCSE's table takes test's Spearman. Unlike
 * the STS years, SimCSE reads these files in file order (its loadFile does not sort), so the task
 * files give no sort key.
 */
import type { ProtocolDefinition } from '../definition.js';
import { needSplit } from '../definition.js';
import { metricKey } from '../metrics.js';
import { checkCosineTask, runUnsupervisedSts, splitPair, type StsDataset } from './unsupervised-sts.js';

const SPLITS = ['train', 'dev', 'test'] as const;

/** `test` is the split the table reports, under the plain keys; the others are `<stat>_<split>`. */
const splitMetric = (family: string, split: string): string => (split === 'test' ? family : metricKey(family, split));

export const unsupervisedStsSplits: ProtocolDefinition = {
  name: 'unsupervised-sts-splits',
  describe: "SimCSE's STSBenchmarkEval/SICKRelatednessEval: the cosine of the two sentence vectors per pair, Pearson and Spearman per split, no training",
  trainer: 'cosine scoring (no probe)',
  labels: 'score',
  features: ['pair'],
  splitNames: 'standard',
  seeded: false,
  trainsProbes: false,
  overrides: [],
  settings: ['featureDtype'],
  metrics: (task) => [
    { key: 'spearman', main: true },
    { key: 'pearson' },
    ...SPLITS.filter((s) => s !== 'test' && s in task.splits).flatMap((s) => [{ key: splitMetric('spearman', s) }, { key: splitMetric('pearson', s) }]),
  ],
  checkTask(task) {
    const names = Object.keys(task.splits);
    if (!names.includes('test')) return 'a "test" split is required';
    const other = names.find((n) => !(SPLITS as readonly string[]).includes(n));
    if (other !== undefined) return `split "${other}": ${task.protocol} scores train, dev and test only`;
    return checkCosineTask(task);
  },
  setMetric: splitMetric,
  async run(r) {
    // Each split on its own, like one dataset of a year; the order of the splits does not matter.
    const names = SPLITS.filter((s) => s in r.task.splits);
    const datasets: StsDataset[] = names.map((name) => {
      const s = needSplit(r, name);
      return { name, ...splitPair(r, s.X), gold: s.y };
    });
    const res = runUnsupervisedSts(datasets);
    r.onProgress?.(1, 1);
    const metrics: Record<string, number> = {};
    const test = res.datasets.find((d) => d.name === 'test')!;
    metrics.spearman = test.spearman;
    metrics.pearson = test.pearson;
    for (const d of res.datasets) {
      if (d.name === 'test') continue;
      metrics[splitMetric('spearman', d.name)] = d.spearman;
      metrics[splitMetric('pearson', d.name)] = d.pearson;
    }
    return {
      metrics,
      notes: [],
      // test first: the sidecar's main set is the one the table reports.
      predictions: [...res.datasets]
        .sort((a, b) => (a.name === 'test' ? -1 : b.name === 'test' ? 1 : 0))
        .map((d) => ({
          split: d.name,
          kind: 'score' as const,
          gold: [...datasets.find((x) => x.name === d.name)!.gold],
          pred: [...d.scores],
        })),
    };
  },
};
