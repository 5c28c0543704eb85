/** The one statistics module: probes, protocols and reports all score through it. */
export type { Weights } from './weights.js';
export { meanSquaredError, pearson, rankAverage, rankPlan, spearman, spearmanPlanned, weightedRanks, type RankPlan } from './correlation.js';
export { accuracy, f1Positive } from './classification.js';
export {
  mcnemarExact,
  pairedBootstrap,
  stratifiedPairedBootstrap,
  type BootstrapResult,
  type PairedMetric,
  type StratifiedMetric,
} from './significance.js';
