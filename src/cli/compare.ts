import type { Argv, CommandModule } from 'yargs';
import { readResultsFile } from '../results/read.js';
import { compareRuns, renderCompareTable } from '../report/compare.js';
import { runCommand } from './run-command.js';
import { checkSeed, refuseEmpty, SEED_RANGE } from './flags.js';
import { MAX_RESAMPLES } from '../report/compare.js';

interface CompareArgs {
  a: string;
  b: string;
  tasks?: string;
  seed: number;
  resamples: number;
  alpha: number;
  json: boolean;
}

function builder(y: Argv): Argv<CompareArgs> {
  return y
    .positional('a', { type: 'string', demandOption: true, describe: 'Results file A (the reference)' })
    .positional('b', { type: 'string', demandOption: true, describe: 'Results file B (compared to A)' })
    .option('tasks', { type: 'string', describe: 'Comma-separated tasks (default: every task both have)' })
    .option('seed', { type: 'number', default: 1111, describe: `Seed of the bootstrap resamples, ${SEED_RANGE}` })
    .option('resamples', { type: 'number', default: 10000, describe: `Bootstrap resamples (100 to ${MAX_RESAMPLES})` })
    .option('alpha', { type: 'number', default: 0.05, describe: 'Significance level (interval: 1 - alpha)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' }) as unknown as Argv<CompareArgs>;
}

export async function compareMain(args: CompareArgs): Promise<number> {
  refuseEmpty(args as unknown as Record<string, unknown>, ['tasks']);
  checkSeed('--seed', args.seed);
  const a = readResultsFile(args.a);
  const b = readResultsFile(args.b);
  const tasks = (args.tasks ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const rep = compareRuns(a, b, { seed: args.seed, resamples: args.resamples, alpha: args.alpha, ...(tasks.length ? { tasks } : {}) });
  process.stdout.write(args.json ? JSON.stringify(rep, null, 2) + '\n' : renderCompareTable(rep));
  return 0;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <a> <b>',
  describe:
    'Paired significance test of two runs per task (McNemar exact for accuracy, paired bootstrap for F1 and correlations); needs --save-predictions sidecars',
  builder,
  handler: runCommand(compareMain),
};
