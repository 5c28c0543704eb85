import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { createEncoder } from '../encoders/factory.js';
import { addEncoderFlags, encoderFlagValues } from './encoder-flags.js';
import { FeatureCache } from '../evaluate/feature-cache.js';
import { StderrProgress } from '../evaluate/progress.js';
import { evaluate } from '../evaluate/run.js';
import { PRESETS, resolveSettings } from '../protocol/settings.js';
import { savePredictionsBeside } from '../evaluate/save-predictions.js';
import { resolveDataDir } from '../tasks/data-dir.js';
import { defaultTaskIds, resolveTasks } from '../tasks/registry.js';
import { FEATURE_DTYPES, type FeatureDtype } from '../features/dtype.js';
import { UserError } from '../util/errors.js';
import { formatSummary } from '../evaluate/summary.js';
import { runCommand } from './run-command.js';

interface EvaluateArgs {
  encoder?: string;
  prefix1?: string;
  [encoderOption: string]: unknown;
  tasks: string;
  config: string;
  nhid?: number;
  seed: number;
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
  return addEncoderFlags(y, 'Sentence encoder (default: gensen with --prefix1, else bow)')
    .option('tasks', { type: 'string', default: defaultTaskIds().join(','), describe: 'Comma-separated task ids or suite names (tasks/suites.json)' })
    .option('config', { choices: Object.keys(PRESETS), default: 'paper', describe: 'Probe preset' })
    .option('nhid', { type: 'number', describe: 'Hidden units of the MLP probe (0: logistic regression)' })
    .option('seed', { type: 'number', default: 1111, describe: 'Seed of probes and folds' })
    .option('seeds', { type: 'string', describe: 'Several seeds (e.g. 1111,1112,1113): records the spread over seeds' })
    .option('data-dir', { type: 'string', describe: 'SentEval data/downstream folder (default $SENTEVAL_DATA, then ./data)' })
    .option('out', { type: 'string', describe: 'Results file (default results/<encoder>-<config>-s<seed>.json)' })
    .option('resume', { type: 'boolean', default: false, describe: 'Skip tasks already in --out' })
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
    .example('$0 evaluate --prefix1 nli_large --prefix2 nli_large_bothskip --models-dir models', 'A GenSen pair')
    .example('$0 evaluate --encoder command --command "python3 examples/encoders/sentence_transformers_encoder.py all-MiniLM-L6-v2"', 'Any encoder behind a pipe')
    .example('$0 evaluate --encoder http --url http://127.0.0.1:8080 --model bge-small', 'An OpenAI-compatible embeddings server') as unknown as Argv<EvaluateArgs>;
}

function parseSeeds(a: EvaluateArgs): number[] {
  if (!a.seeds) return [a.seed];
  const seeds = a.seeds.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UserError(`--seeds must be comma-separated non-negative integers, got '${a.seeds}'`);
  }
  return seeds;
}

async function handle(a: EvaluateArgs): Promise<number> {
  const encoderName = a.encoder ?? (a.prefix1 ? 'gensen' : 'bow');
  const defs = resolveTasks(a.tasks);
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
  if (existsSync(out) && !a.resume && !a.force) {
    throw new UserError(`${out} exists: pass --resume to continue it, --force to overwrite it, or another --out`);
  }
  const progress = new StderrProgress(a.progress ?? Boolean(process.stderr.isTTY));
  const encoder = await createEncoder({
    ...(encoderFlagValues(a) as Record<string, string | number | boolean>),
    encoder: encoderName,
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
      command: process.argv.slice(2),
      device: 'cpu',
      ...(a.cache ? { cache: new FeatureCache() } : {}),
      progress,
      ...(a.savePredictions ? { onPredictions: savePredictionsBeside(out, seeds.length > 1 ? seeds[0] : undefined) } : {}),
    });
    progress.done();
    process.stdout.write(formatSummary(results));
    process.stdout.write(`results: ${out}\n`);
  } finally {
    await encoder.close();
  }
  return 0;
}

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'Evaluate a sentence encoder on SentEval tasks and write a results file',
  builder,
  handler: runCommand(handle),
};
