import type { Argv, CommandModule } from 'yargs';
import { readResultsFile } from '../results/read.js';
import { checkRegression, renderCheckTable } from '../report/check.js';
import type { Tolerance } from '../report/check.js';
import { UserError } from '../util/errors.js';
import { runCommand } from './run-command.js';

interface CheckArgs {
  results: string;
  against: string;
  tolerance: string;
  json: boolean;
  allowMixed: boolean;
  allowMissing: boolean;
}

function builder(y: Argv): Argv<CheckArgs> {
  return y
    .positional('results', { type: 'string', demandOption: true, describe: 'The new results file' })
    .option('against', { type: 'string', demandOption: true, describe: 'The baseline results file' })
    .option('tolerance', { type: 'string', default: 'auto', describe: "Allowed drop in points: 'auto' (seed spread, else per-metric defaults) or a number" })
    .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' })
    .option('allow-mixed', { type: 'boolean', default: false, describe: 'Compare tasks whose protocol fingerprints differ' })
    .option('allow-missing', {
      type: 'boolean',
      default: false,
      describe: 'Do not fail when a baseline task is missing from the new run',
    }) as unknown as Argv<CheckArgs>;
}

export function parseTolerance(s: string): Tolerance {
  if (s === 'auto') return 'auto';
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`--tolerance: expected 'auto' or a number of points ≥ 0, got '${s}'`);
  return n;
}

export async function checkMain(args: CheckArgs): Promise<number> {
  const tolerance = parseTolerance(args.tolerance);
  const baseline = readResultsFile(args.against);
  const current = readResultsFile(args.results);
  const rep = checkRegression(baseline, current, { tolerance, allowMixed: args.allowMixed, allowMissing: args.allowMissing });
  process.stdout.write(args.json ? JSON.stringify(rep, null, 2) + '\n' : renderCheckTable(rep));
  return rep.exitCode;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <results>',
  describe: 'Regression gate: exit 1 if a task fell by more than its tolerance against a baseline run (2: unusable input)',
  builder,
  handler: runCommand(checkMain),
};
