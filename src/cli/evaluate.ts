import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { createEncoder, ENCODER_NAMES, type EncoderName } from '../encoders/factory.js';
import { FeatureCache } from '../evaluate/feature-cache.js';
import { StderrProgress } from '../evaluate/progress.js';
import { evaluate, loadTasks } from '../evaluate/run.js';
import { PRESETS, resolveSettings } from '../protocol/settings.js';
import { savePredictionsBeside } from '../evaluate/save-predictions.js';
import { resolveDataDir } from '../tasks/data-dir.js';
import { defaultTaskIds, resolveTasks } from '../tasks/registry.js';
import { FEATURE_DTYPES, type FeatureDtype } from '../features/dtype.js';
import { UserError } from '../util/errors.js';
import { formatSummary } from '../evaluate/summary.js';
import { runCommand } from './run-command.js';
import { checkSeed, parseSeedList, refuseEmpty, SEED_RANGE } from './flags.js';
import { assertWritableOutput } from '../util/out-path.js';
import { lockOutput } from '../util/lock.js';
import { configureVectorCache } from '../vectors/embedded.js';


interface EvaluateArgs {
  encoder?: EncoderName;
  prefix1?: string;
  prefix2?: string;
  modelsDir: string;
  pool: 'last' | 'max' | 'best';
  maxPool: 'faithful' | 'masked';
  glove?: string;
  vocabText: 'python2' | 'utf8';
  dim: number;
  projectionSeed: number;
  tasks?: string;
  config: string;
  nhid?: number;
  seed?: number;
  seeds?: string;
  dataDir?: string;
  out?: string;
  resume: boolean;
  force: boolean;
  kfold?: number;
  optim?: 'adam' | 'rmsprop';
  batchSize?: number;
  tenacity?: number;
  epochSize?: number;
  maxEpoch?: number;
  dropout?: number;
  lossReduction?: 'mean' | 'sum';
  stsLowScores?: 'faithful' | 'clean';
  relatednessEarlyStop?: 'spearman' | 'pearson';
  encoderBatchSize?: number;
  featureDtype?: FeatureDtype;
  quoraDevAsTrain: boolean;
  savePredictions: boolean;
  cache: boolean;
  progress?: boolean;
}

function builder(y: Argv): Argv<EvaluateArgs> {
  return y
    .option('encoder', { choices: ENCODER_NAMES, describe: 'Sentence encoder (default: gensen with --prefix1, else bow)' })
    .option('prefix1', { type: 'string', describe: 'GenSen model prefix, e.g. nli_large' })
    .option('prefix2', { type: 'string', describe: 'Second GenSen model, concatenated after the first' })
    .option('models-dir', { type: 'string', default: '.', describe: 'Folder with <prefix>.model and <prefix>_vocab.pkl' })
    .option('pool', { choices: ['last', 'max', 'best'] as const, default: 'best' as const, describe: "GenSen pooling ('best': each task's gensenPooling in tasks/*.json, as the paper)" })
    .option('max-pool', { choices: ['faithful', 'masked'] as const, default: 'faithful' as const, describe: 'Max pooling over the batch padding (faithful) or not (masked)' })
    .option('glove', { type: 'string', describe: 'GloVe vectors (.txt, .txt.gz or .h5) for GenSen vocabulary expansion' })
    .option('vocab-text', {
      choices: ['python2', 'utf8'] as const,
      default: 'python2' as const,
      describe: "GenSen: non-ASCII task words get <unk> as under the original's Python 2 (python2), or match as UTF-8 (utf8)",
    })
    .option('dim', { type: 'number', default: 4096, describe: 'borep: output dimension' })
    .option('projection-seed', { type: 'number', default: 1111, describe: `borep: seed of the random projection, ${SEED_RANGE}` })
    .option('tasks', { type: 'string', describe: `Comma-separated task ids or suite names (tasks/suites.json; default ${defaultTaskIds().join(',')})` })
    .option('config', { choices: Object.keys(PRESETS), default: 'paper', describe: 'Probe preset' })
    .option('nhid', { type: 'number', describe: 'Hidden units of the MLP probe (0: logistic regression)' })
    .option('seed', { type: 'number', describe: `Seed of probes and folds, ${SEED_RANGE} (default 1111)` })
    .option('seeds', { type: 'string', describe: 'Several distinct seeds instead of --seed (e.g. 1111,1112,1113): records the spread over seeds' })
    .option('data-dir', { type: 'string', describe: 'SentEval data/downstream folder (default $SENTEVAL_DATA, then ./data)' })
    .option('out', { type: 'string', describe: 'Results file (default results/<encoder>-<config>-s<seed>.json)' })
    .option('resume', { type: 'boolean', default: false, describe: 'Skip tasks already in --out (re-run those whose data files changed)' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out' })
    .option('kfold', { type: 'number', describe: 'Override: folds' })
    .option('optim', { choices: ['adam', 'rmsprop'] as const, describe: 'Override: optimizer' })
    .option('batch-size', { type: 'number', describe: 'Override: probe minibatch size' })
    .option('tenacity', { type: 'number', describe: 'Override: early-stopping tenacity' })
    .option('epoch-size', { type: 'number', describe: 'Override: epochs per validation round' })
    .option('max-epoch', { type: 'number', describe: 'Override: maximum epochs' })
    .option('dropout', { type: 'number', describe: 'Override: MLP dropout' })
    .option('loss-reduction', { choices: ['mean', 'sum'] as const, describe: 'Override: minibatch loss reduction' })
    .option('sts-low-scores', { choices: ['faithful', 'clean'] as const, describe: 'Tai encoding of STS-B scores below 1' })
    .option('relatedness-early-stop', { choices: ['spearman', 'pearson'] as const, describe: "Dev statistic of relatedness early stopping (spearman: SimCSE's SentEval copy, the reference numbers; pearson: upstream SentEval)" })
    .option('encoder-batch-size', { type: 'number', describe: 'Sentences per encoder call (default 128)' })
    .option('feature-dtype', { choices: FEATURE_DTYPES, describe: 'Storage of sentence vectors: float32 (exact, default) or float16/bfloat16 (half the memory, rounded once; recorded)' })
    .option('quora-dev-as-train', { type: 'boolean', default: false, describe: 'Quora without its train split: train on dev, test on test (labelled so)' })
    .option('save-predictions', { type: 'boolean', default: false, describe: 'Store per-example test predictions beside the results (for compare)' })
    .option('cache', { type: 'boolean', default: true, describe: 'Use the on-disk feature cache (--no-cache to disable)' })
    .option('progress', { type: 'boolean', describe: 'Progress on stderr (default: only on a terminal)' })
    .example('$0 evaluate --tasks MR,SICK-R --config fast', 'Embedded bag-of-words encoder, prototyping probes')
    .example('$0 evaluate --prefix1 nli_large --prefix2 nli_large_bothskip --models-dir models', 'A GenSen pair') as unknown as Argv<EvaluateArgs>;
}

function parseSeeds(a: EvaluateArgs): number[] {
  if (a.seeds === undefined) return [checkSeed('--seed', a.seed ?? 1111)];
  if (a.seed !== undefined) throw new UserError('--seed and --seeds contradict each other: give one seed with --seed, or several with --seeds');
  return parseSeedList('--seeds', a.seeds);
}

/** Flags that contradict each other or the chosen encoder: refused rather than silently ignored. */
function checkFlags(a: EvaluateArgs, encoderName: EncoderName): void {
  refuseEmpty(a as unknown as Record<string, unknown>, ['tasks', 'out', 'seeds', 'data-dir', 'models-dir', 'prefix1', 'prefix2', 'glove', 'config']);
  if (encoderName !== 'gensen' && (a.prefix1 || a.prefix2)) throw new UserError(`--prefix1/--prefix2 need --encoder gensen, not ${encoderName}`);
  if (encoderName !== 'gensen' && a.glove !== undefined) throw new UserError(`--glove expands a GenSen vocabulary; the ${encoderName} encoder does not use it`);
  if (a.resume && a.force) throw new UserError('--resume and --force contradict each other: --resume continues --out, --force overwrites it');
  checkSeed('--projection-seed', a.projectionSeed);
}

async function handle(a: EvaluateArgs): Promise<number> {
  const encoderName: EncoderName = a.encoder ?? (a.prefix1 ? 'gensen' : 'bow');
  checkFlags(a, encoderName);
  const defs = resolveTasks(a.tasks ?? defaultTaskIds().join(','));
  const settings = resolveSettings(a.config, {
    kfold: a.kfold,
    optim: a.optim,
    batchSize: a.batchSize,
    tenacity: a.tenacity,
    epochSize: a.epochSize,
    maxEpoch: a.maxEpoch,
    nhid: a.nhid,
    dropout: a.dropout,
    lossReduction: a.lossReduction,
    stsLowScores: a.stsLowScores,
    relatednessEarlyStop: a.relatednessEarlyStop,
    encoderBatchSize: a.encoderBatchSize,
    featureDtype: a.featureDtype,
  });
  const seeds = parseSeeds(a);
  const dataDir = resolveDataDir(a.dataDir);
  const tag = settings.nhid > 0 ? `-mlp${settings.nhid}` : '';
  const out = resolve(a.out ?? `results/${encoderName}-${settings.config}${tag}-s${seeds[0]}.json`);
  // Everything about --out is settled before any work: a run must never compute for an hour and
  // then be unable to save, or overwrite what a concurrent run to the same file is writing.
  assertWritableOutput(out);
  const lock = lockOutput(out);
  if (lock.tookOverFrom !== undefined) {
    warn(`${out}: took over the lock of a run that is gone${lock.tookOverFrom > 0 ? ` (pid ${lock.tookOverFrom})` : ''}`);
  }
  try {
    if (existsSync(out) && !a.resume && !a.force) {
      throw new UserError(`${out} exists: pass --resume to continue it, --force to overwrite it, or another --out`);
    }
    configureVectorCache({ enabled: a.cache, warn });
    const progress = new StderrProgress(a.progress ?? Boolean(process.stderr.isTTY));
    // The data before the encoder: a missing, empty or malformed file is reported at once.
    const preloaded = await loadTasks(defs, dataDir, a.quoraDevAsTrain);
    const encoder = await createEncoder({
      encoder: encoderName,
      dim: a.dim,
      projectionSeed: a.projectionSeed,
      modelsDir: a.modelsDir,
      ...(a.prefix1 ? { prefix1: a.prefix1 } : {}),
      ...(a.prefix2 ? { prefix2: a.prefix2 } : {}),
      pool: a.pool,
      maxPool: a.maxPool,
      ...(a.glove ? { glove: a.glove } : {}),
      vocabText: a.vocabText,
      onNote: (m) => progress.log(m),
    });
    try {
      const results = await evaluate(encoder, {
        tasks: defs,
        dataDir,
        settings,
        seeds,
        outPath: out,
        resume: a.resume,
        devAsTrain: a.quoraDevAsTrain,
        preloaded,
        command: process.argv.slice(2),
        device: 'cpu',
        ...(a.cache ? { cache: new FeatureCache(undefined, warn) } : {}),
        progress,
        onWarning: warn,
        ...(a.savePredictions ? { onPredictions: savePredictionsBeside(out, seeds.length > 1 ? seeds[0] : undefined) } : {}),
      });
      progress.done();
      process.stdout.write(formatSummary(results));
      process.stdout.write(`results: ${out}\n`);
    } finally {
      await encoder.close();
    }
  } finally {
    lock.release();
  }
  return 0;
}

function warn(m: string): void {
  process.stderr.write(`gensen-eval: warning: ${m}\n`);
}

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'Evaluate a sentence encoder on SentEval tasks and write a results file',
  builder,
  handler: runCommand(handle),
};
