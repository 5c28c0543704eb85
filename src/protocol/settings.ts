/**
 * The probe protocol's settings and presets: what `--config` and the overrides resolve to, recorded in
 * every results file and hashed into the protocol fingerprint.
 */
import { FEATURE_DTYPES, type FeatureDtype } from '../features/dtype.js';
import { UserError } from '../util/errors.js';

/** Everything that makes two runs' numbers comparable (the protocol fingerprint hashes this). */
export interface ProtocolSettings {
  /** Preset name: `paper`, `fast` or `gensen`. */
  readonly config: string;
  readonly kfold: number;
  readonly optim: 'adam' | 'rmsprop';
  readonly batchSize: number;
  readonly tenacity: number;
  readonly epochSize: number;
  readonly maxEpoch: number;
  readonly nhid: number;
  readonly dropout: number;
  /** How the minibatch loss is reduced (PyTorch-version trap; see docs/protocol.md §3.4). */
  readonly lossReduction: 'mean' | 'sum';
  /** Tai et al. encoding of STS-B scores below 1: `faithful` keeps SentEval's quirk. */
  readonly stsLowScores: 'faithful' | 'clean';
  /**
   * Dev statistic the relatedness trainer early-stops on: Pearson, as facebookresearch/SentEval —
   * which GenSen, InferSent and the SentEval paper ran — does (the default of every preset), or
   * Spearman, as SimCSE's copy of SentEval does (docs/protocol.md section 6). Absent in files written
   * before it was recorded (they used Spearman).
   */
  readonly relatednessEarlyStop?: 'spearman' | 'pearson';
  readonly encoderBatchSize: number;
  /**
   * Storage type of the sentence store (and so of every probe input): float32 (exact, the default;
   * absent in files written before it was recorded) or float16/bfloat16, which halve the store's
   * memory and round every vector once.
   */
  readonly featureDtype?: FeatureDtype;
}

/**
 * Probe presets. `paper` is what GenSen and the literature used (and the default); `fast` is
 * SentEval's prototyping configuration (about 5x faster); `gensen` is `paper` with the minibatch
 * loss summed, as the PyTorch <= 0.4 that GenSen ran on did (the version trap of docs/protocol.md
 * §3.4). All three early-stop the relatedness probe on dev Pearson, as upstream SentEval does.
 */
const PAPER: ProtocolSettings = {
  config: 'paper',
  kfold: 10,
  optim: 'adam',
  batchSize: 64,
  tenacity: 5,
  epochSize: 4,
  maxEpoch: 200,
  nhid: 0,
  dropout: 0,
  lossReduction: 'mean',
  stsLowScores: 'faithful',
  relatednessEarlyStop: 'pearson',
  encoderBatchSize: 128,
};

export const PRESETS: Readonly<Record<string, ProtocolSettings>> = {
  paper: PAPER,
  fast: { ...PAPER, config: 'fast', kfold: 5, optim: 'rmsprop', batchSize: 128, tenacity: 3, epochSize: 2 },
  gensen: { ...PAPER, config: 'gensen', lossReduction: 'sum' },
};

export type SettingsOverrides = Partial<Omit<ProtocolSettings, 'config'>>;

/** A preset with explicit overrides applied; overrides that change nothing are not recorded. */
export function resolveSettings(preset: string, overrides: SettingsOverrides = {}): ProtocolSettings {
  const base = PRESETS[preset];
  if (!base) throw new UserError(`unknown --config '${preset}': expected one of ${Object.keys(PRESETS).join(', ')}`);
  const s: ProtocolSettings = { ...base };
  const out = s as { -readonly [K in keyof ProtocolSettings]: ProtocolSettings[K] };
  for (const [k, v] of Object.entries(overrides) as [keyof SettingsOverrides, unknown][]) {
    if (v === undefined) continue;
    // float32 is what every file without the field used: keep such runs' fingerprints equal.
    if (k === 'featureDtype' && v === 'float32') continue;
    (out as Record<string, unknown>)[k] = v;
  }
  validateSettings(out);
  return out;
}

function validateSettings(s: ProtocolSettings): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${name} must be a positive integer, got ${v}`);
  };
  positiveInt('kfold', s.kfold);
  if (s.kfold < 2) throw new UserError(`--kfold must be at least 2, got ${s.kfold}`);
  positiveInt('batch-size', s.batchSize);
  positiveInt('epoch-size', s.epochSize);
  positiveInt('max-epoch', s.maxEpoch);
  positiveInt('encoder-batch-size', s.encoderBatchSize);
  if (!Number.isInteger(s.tenacity) || s.tenacity < 0) throw new UserError(`--tenacity must be >= 0, got ${s.tenacity}`);
  if (!Number.isInteger(s.nhid) || s.nhid < 0) throw new UserError(`--nhid must be >= 0, got ${s.nhid}`);
  if (!(s.dropout >= 0 && s.dropout < 1)) throw new UserError(`--dropout must be in [0, 1), got ${s.dropout}`);
  if (s.optim !== 'adam' && s.optim !== 'rmsprop') throw new UserError(`--optim must be adam or rmsprop, got ${s.optim}`);
  if (s.lossReduction !== 'mean' && s.lossReduction !== 'sum') throw new UserError(`--loss-reduction must be mean or sum, got ${s.lossReduction}`);
  if (s.relatednessEarlyStop !== undefined && s.relatednessEarlyStop !== 'spearman' && s.relatednessEarlyStop !== 'pearson')
    throw new UserError(`--relatedness-early-stop must be spearman or pearson, got ${s.relatednessEarlyStop}`);
  if (s.featureDtype !== undefined && !FEATURE_DTYPES.includes(s.featureDtype))
    throw new UserError(`--feature-dtype must be one of ${FEATURE_DTYPES.join(', ')}, got ${s.featureDtype}`);
  if (s.stsLowScores !== 'faithful' && s.stsLowScores !== 'clean') throw new UserError(`--sts-low-scores must be faithful or clean, got ${s.stsLowScores}`);
}

/** The dev statistic the relatedness probe early-stops on; files written before it was recorded used Spearman. */
export function earlyStopStat(s: ProtocolSettings): 'spearman' | 'pearson' {
  return s.relatednessEarlyStop ?? 'spearman';
}

/** `paper: kfold 10, optim adam, …` — what each preset sets, for --help. */
export function describePresets(): string {
  return Object.entries(PRESETS)
    .map(
      ([name, p]) =>
        `${name}: kfold ${p.kfold}, optim ${p.optim}, batch ${p.batchSize}, tenacity ${p.tenacity}, epoch-size ${p.epochSize}, max-epoch ${p.maxEpoch}, nhid ${p.nhid}, dropout ${p.dropout}, loss ${p.lossReduction}, relatedness early stop ${p.relatednessEarlyStop}`,
    )
    .join('; ');
}

/** An override's default under each preset, e.g. `paper 10, fast 5, gensen 10` (one value when all agree). */
export function presetDefaults(key: keyof SettingsOverrides): string {
  const vals = Object.entries(PRESETS).map(([name, p]) => [name, String(p[key])] as const);
  return new Set(vals.map(([, v]) => v)).size === 1 ? vals[0]![1] : vals.map(([n, v]) => `${n} ${v}`).join(', ');
}
