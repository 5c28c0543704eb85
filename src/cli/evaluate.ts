import { existsSync, readFileSync } from 'node:fs';
import { setInterruptNote } from '../util/temp-files.js';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { createEncoder } from '../encoders/factory.js';
import { impliedEncoder, impliedEncoderHelp, resolveEncoderOptions } from '../encoders/registry.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../compute/device.js';
import type { ProbeBackend } from '../protocol/backend.js';
import { DEVICE_HELP } from '../compute/device-policy.js';
import { closeProbeBackend, probeBackendFor } from '../protocol/probe-device.js';
import { addEncoderFlags, encoderFlagValues } from './encoder-flags.js';
import { FeatureCache } from '../evaluate/feature-cache.js';
import { StderrProgress } from '../evaluate/progress.js';
import { evaluate, loadTasks } from '../evaluate/run.js';
import { PRESETS, describePresets, presetDefaults, resolveSettings } from '../protocol/settings.js';
import { savePredictionsBeside } from '../evaluate/save-predictions.js';
import { DATA_DIR_HELP, dataLocation } from '../tasks/data-dir.js';
import { assertTaskData } from '../tasks/data-check.js';
import { defaultTaskIds, resolveTasks } from '../tasks/registry.js';
import { FEATURE_DTYPES, type FeatureDtype } from '../features/dtype.js';
import { UserError } from '../util/errors.js';
import { formatSummary } from '../evaluate/summary.js';
import { runCommand } from './run-command.js';
import { examplesEpilogue } from './examples.js';
import { withConfigDefaults } from './config-defaults.js';
import { projectConfig } from '../util/project-config.js';
import { parseShard, shardTasks } from '../results/shard.js';
import { checkSeed, parseSeedList, refuseEmpty, SEED_RANGE } from './flags.js';
import { assertWritableOutput } from '../util/out-path.js';
import { lockOutput } from '../util/lock.js';
import { configureVectorCache } from '../vectors/embedded.js';
import { redactSecrets } from '../util/redact.js';

/** What `evaluate` runs without --encoder (or an option that implies one): the embedded bag of words. */
const DEFAULT_ENCODER = 'bow';

interface EvaluateArgs {
  encoder?: string;
  device: DeviceChoice;
  [encoderOption: string]: unknown;
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
  shard?: string;
}

function builder(y: Argv): Argv<EvaluateArgs> {
  return withConfigDefaults(declare(y), 'evaluate');
}

function declare(y: Argv): Argv<EvaluateArgs> {
  return addEncoderFlags(y, `Sentence encoder (default: ${impliedEncoderHelp()}, else ${DEFAULT_ENCODER})`)
    .option('tasks', {
      type: 'string',
      ...(projectConfig()?.tasks ? { default: projectConfig()!.tasks } : {}),
      describe: 'Comma-separated task ids or suite names (tasks/suites.json; default from the project config, else the ten SentEval tasks)',
    })
    .option('config', {
      choices: Object.keys(PRESETS),
      default: 'paper',
      describe: `Probe preset (${describePresets()}). SICK-R and STS-B ignore the classifier settings (kfold, optim, batch, tenacity, epoch sizes, nhid, dropout): SentEval's relatedness trainer is fixed`,
    })
    .option('nhid', { type: 'number', describe: `Hidden units of the MLP probe (0: logistic regression; default ${presetDefaults('nhid')})` })
    .option('seed', { type: 'number', describe: `Seed of probes and folds, ${SEED_RANGE} (default 1111)` })
    .option('seeds', { type: 'string', describe: 'Several distinct seeds instead of --seed (e.g. 1111,1112,1113): records the spread over seeds' })
    .option('data-dir', { type: 'string', describe: DATA_DIR_HELP })
    .option('out', { type: 'string', describe: 'Results file (default results/<encoder>-<config>-s<seed>.json; several seeds: -s<seed1>-<seed2>…)' })
    .option('resume', { type: 'boolean', default: false, describe: 'Skip tasks already in --out (re-run those whose data files changed)' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out' })
    .option('kfold', { type: 'number', describe: `Override: folds (default ${presetDefaults('kfold')})` })
    .option('optim', { choices: ['adam', 'rmsprop'] as const, describe: `Override: optimizer (default ${presetDefaults('optim')})` })
    .option('batch-size', { type: 'number', describe: `Override: probe minibatch size (default ${presetDefaults('batchSize')})` })
    .option('tenacity', { type: 'number', describe: `Override: early-stopping tenacity (default ${presetDefaults('tenacity')})` })
    .option('epoch-size', { type: 'number', describe: `Override: epochs per validation round (default ${presetDefaults('epochSize')})` })
    .option('max-epoch', { type: 'number', describe: `Override: maximum epochs (default ${presetDefaults('maxEpoch')})` })
    .option('dropout', { type: 'number', describe: `Override: MLP dropout (default ${presetDefaults('dropout')})` })
    .option('loss-reduction', {
      choices: ['mean', 'sum'] as const,
      describe: `Override: minibatch loss reduction (default ${presetDefaults('lossReduction')})`,
    })
    .option('sts-low-scores', {
      choices: ['faithful', 'clean'] as const,
      describe: `Tai encoding of STS-B scores below 1 (default ${presetDefaults('stsLowScores')})`,
    })
    .option('relatedness-early-stop', {
      choices: ['spearman', 'pearson'] as const,
      describe: `Dev statistic of relatedness early stopping (default ${presetDefaults('relatednessEarlyStop')}; spearman: SimCSE's SentEval copy, the reference numbers; pearson: upstream SentEval)`,
    })
    .option('encoder-batch-size', { type: 'number', describe: `Sentences per encoder call (default ${presetDefaults('encoderBatchSize')})` })
    .option('feature-dtype', {
      choices: FEATURE_DTYPES,
      describe: 'Storage of sentence vectors: float32 (exact, default) or float16/bfloat16 (half the memory, rounded once; recorded)',
    })
    .option('quora-dev-as-train', { type: 'boolean', default: false, describe: 'Quora without its train split: train on dev, test on test (labelled so)' })
    .option('save-predictions', { type: 'boolean', default: false, describe: 'Store per-example test predictions beside the results (for compare)' })
    .option('cache', { type: 'boolean', default: true, describe: 'Use the on-disk feature cache (--no-cache to disable)' })
    .option('progress', {
      type: 'boolean',
      describe: 'Progress on stderr (default on: a redrawn line on a terminal, one line per task phase in logs; --no-progress: none)',
    })
    .option('device', { choices: DEVICE_CHOICES, default: 'cpu' as DeviceChoice, describe: DEVICE_HELP })
    .option('shard', { type: 'string', describe: 'K/N: run only every N-th task of --tasks, starting at the K-th (CI matrices; combine with merge)' })
    .epilogue(
      examplesEpilogue([
        { command: 'evaluate --tasks MR,SICK-R --config fast', what: 'Embedded bag-of-words encoder, prototyping probes' },
        { command: 'evaluate --prefix1 nli_large --prefix2 nli_large_bothskip --models-dir models', what: 'A GenSen pair' },
        { command: 'evaluate --shard 2/4 --out shard-2.json', what: 'Second of four CI jobs (then: gensen-eval merge shard-*.json)' },
        { command: 'evaluate --encoder command --command "python3 examples/encoders/bow.py"', what: 'Any encoder behind a pipe' },
        { command: 'evaluate --encoder http --url http://127.0.0.1:8080 --model bge-small', what: 'An OpenAI-compatible embeddings server' },
      ]),
    ) as unknown as Argv<EvaluateArgs>;
}

function parseSeeds(a: EvaluateArgs): number[] {
  if (a.seeds === undefined) return [checkSeed('--seed', a.seed ?? 1111)];
  if (a.seed !== undefined) throw new UserError('--seed and --seeds contradict each other: give one seed with --seed, or several with --seeds');
  return parseSeedList('--seeds', a.seeds);
}

/** Flags that contradict each other or the chosen encoder: refused rather than silently ignored. */
function checkFlags(a: EvaluateArgs, encoderName: string): void {
  refuseEmpty(a as unknown as Record<string, unknown>, ['tasks', 'out', 'seeds', 'data-dir', 'config']);
  if (a.prefix2 && !a.prefix1)
    throw new UserError('--prefix2 adds a second GenSen model: give the first with --prefix1 (e.g. --prefix1 nli_large --prefix2 nli_large_bothskip)');
  // The encoder's definition checks its options (one of another encoder's is refused) before any work.
  resolveEncoderOptions(encoderName, encoderFlagValues(a));
  if (a.resume && a.force) throw new UserError('--resume and --force contradict each other: --resume continues --out, --force overwrites it');
  if (a.projectionSeed !== undefined) checkSeed('--projection-seed', a.projectionSeed as number);
}

async function handle(a: EvaluateArgs): Promise<number> {
  const encoderName = impliedEncoder(a.encoder, encoderFlagValues(a), DEFAULT_ENCODER)!;
  checkFlags(a, encoderName);
  const allDefs = resolveTasks(a.tasks ?? defaultTaskIds().join(','));
  const sharded = a.shard === undefined ? undefined : shardTasks(allDefs, parseShard(a.shard));
  const defs = sharded ? sharded.tasks : allDefs;
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
  const dataLoc = dataLocation(a.dataDir);
  const dataDir = dataLoc.dir;
  const tag = settings.nhid > 0 ? `-mlp${settings.nhid}` : '';
  const shardTag = sharded ? `.shard-${sharded.shard.index}-of-${sharded.shard.count}` : '';
  // Every seed in the default name: a multi-seed run is another run than its first seed's.
  const out = resolve(a.out ?? `results/${encoderName}-${settings.config}${tag}-s${seeds.join('-')}${shardTag}.json`);
  // Everything about --out is settled before any work: a run must never compute for an hour and
  // then be unable to save, or overwrite what a concurrent run to the same file is writing.
  assertWritableOutput(out);
  const lock = lockOutput(out);
  if (lock.tookOverFrom !== undefined) {
    warn(`${out}: took over the lock of a run that is gone${lock.tookOverFrom > 0 ? ` (pid ${lock.tookOverFrom})` : ''}`);
  }
  // Ctrl-C, SIGTERM or SIGHUP: say what the results file keeps (the lock is released on exit).
  setInterruptNote((sig) => {
    const n = tasksIn(out);
    return n > 0
      ? `interrupted (${sig}); ${n} ${n === 1 ? 'task' : 'tasks'} kept in ${out}, rerun with --resume to run the rest`
      : `interrupted (${sig}); no task had finished, nothing kept`;
  });
  try {
    if (existsSync(out) && !a.resume && !a.force) {
      throw new UserError(`${out} exists: pass --resume to continue it, --force to overwrite it, or another --out`);
    }
    configureVectorCache({ enabled: a.cache, warn });
    // On by default everywhere: a terminal gets one redrawn line, logs one line per task phase.
    const progress = new StderrProgress(a.progress ?? true);
    // The data before the encoder: every missing file at once, then an empty or malformed one.
    assertTaskData(defs, dataLoc, { devAsTrain: a.quoraDevAsTrain });
    const preloaded = await loadTasks(defs, dataDir, a.quoraDevAsTrain);
    progress.status(`loading the ${encoderName} encoder…`);
    let loaded = false;
    const encoder = await createEncoder({
      ...(encoderFlagValues(a) as Record<string, string | number | boolean>),
      encoder: encoderName,
      device: a.device,
      // Loading notes (a one-off cache conversion) are start-up status: shown on a terminal, kept
      // out of logs so a start-up error stays the only line there. Notes once the run is under way
      // (GloVe reading) and warnings at any time (an HTTP retry) are logged.
      // Warnings are shown even under --no-progress; URL credentials never reach a line.
      onNote: (raw) => {
        const m = redactSecrets(raw);
        if (m.startsWith('warning: ')) {
          progress.done();
          warn(m.slice('warning: '.length));
        } else if (loaded) progress.log(m);
        else progress.status(m);
      },
    }).catch((e: unknown) => {
      progress.done(); // the error line must not land on the transient status line
      throw e;
    });
    loaded = true;
    let probeBackend: ProbeBackend | null = null;
    try {
      probeBackend = await probeBackendFor(a.device, (m) => progress.log(m));
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
        device: a.device,
        probeBackend,
        ...(a.cache ? { cache: new FeatureCache(undefined, warn) } : {}),
        progress,
        onWarning: warn,
        ...(sharded ? { shard: sharded.shard } : {}),
        ...(a.savePredictions ? { onPredictions: savePredictionsBeside(out, seeds.length > 1 ? seeds[0] : undefined) } : {}),
      });
      progress.done();
      process.stdout.write(formatSummary(results));
      process.stdout.write(`results: ${out}\n`);
    } finally {
      progress.done();
      await encoder.close();
      if (probeBackend) await closeProbeBackend(probeBackend);
    }
  } finally {
    setInterruptNote(undefined);
    lock.release();
  }
  return 0;
}

/** Tasks a results file holds (0 when it is absent or unreadable). */
function tasksIn(path: string): number {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { tasks?: Record<string, unknown> };
    return Object.keys(doc.tasks ?? {}).length;
  } catch {
    return 0;
  }
}

function warn(m: string): void {
  process.stderr.write(`gensen-eval: warning: ${redactSecrets(m)}\n`);
}

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'Evaluate a sentence encoder on SentEval tasks and write a results file',
  builder,
  handler: runCommand(handle),
};
