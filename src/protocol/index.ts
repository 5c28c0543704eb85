/**
 * The protocol layer: one engine per SentEval validation scheme (engines.ts), the dispatch from a
 * task definition to its engine (dispatch.ts), and the settings and presets they run under.
 */
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
export { runProtocol, type ProtocolOutcome, type SplitPredictions, type TaskFeatures } from './dispatch.js';
export { PRESETS, resolveSettings, type ProtocolSettings, type SettingsOverrides } from './settings.js';
