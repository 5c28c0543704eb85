/** Public entry points of the probe protocols (what the evaluation runner calls). */
export {
  runInnerKFold,
  runKFold,
  runSplit,
  runRelatedness,
  f1Binary,
  L2_GRID,
  NOREG_L2,
  INNER_KFOLD_SEED,
  type ProbeSettings,
  type ProgressFn,
  type LabelledSet,
  type ScoredSet,
  type InnerKFoldResult,
  type KFoldResult,
  type SplitResult,
  type SplitOptions,
  type RelatednessSettings,
  type RelatednessResultSummary,
} from './engines.js';
export { closeProbePool, configureProbePool } from './pool.js';
export { stratifiedKFold, type Fold } from './stratified-kfold.js';
export { pyRound } from './pyround.js';
export { encodeTai, type LowScoreQuirk } from '../probe/tai.js';
export type { CorrelationStat } from '../probe/relatedness.js';
