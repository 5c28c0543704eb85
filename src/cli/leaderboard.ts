import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { refuseExistingOut } from '../util/out-path.js';
import type { Argv, CommandModule } from 'yargs';
import { readResultsFile } from '../results/read.js';
import { buildLeaderboard } from '../report/leaderboard.js';
import { renderCsv, renderCsvLong, renderMarkdown } from '../report/leaderboard-text.js';
import { renderHtml } from '../report/leaderboard-html.js';
import { loadReferenceSet } from '../report/reference.js';
import { buildView, renderViewCsv, renderViewMarkdown, viewNames } from '../report/view.js';
import { UserError } from '../util/errors.js';
import { runCommand } from './run-command.js';

interface LeaderboardArgs {
  results: string[];
  reference?: string;
  baseline?: string;
  format: 'md' | 'csv' | 'csv-long' | 'html';
  out?: string;
  force: boolean;
  strict: boolean;
  view?: string;
}

function builder(y: Argv): Argv<LeaderboardArgs> {
  return y
    .positional('results', { type: 'string', array: true, describe: 'Results files written by evaluate (default, without --reference: results/*.json)' })
    .option('reference', { type: 'string', describe: 'Published rows to add: comma-separated set names (gensen, baselines) or .json paths' })
    .option('baseline', { type: 'string', describe: 'Row (results file name without .json, or reference row id) to show per-cell differences to' })
    .option('format', {
      choices: ['md', 'csv', 'csv-long', 'html'] as const,
      default: 'md' as const,
      describe: 'Output format: markdown, wide CSV (one line per row), tidy long CSV (one line per row and metric), or HTML',
    })
    .option('out', { type: 'string', describe: 'Write to this file instead of stdout' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out' })
    .option('strict', { type: 'boolean', default: false, describe: 'Refuse (exit 2) when runs were measured under different protocols' })
    .option('view', {
      type: 'string',
      describe: `A suite's fixed table as papers print it (${viewNames().join(', ')}: SimCSE's STS table); md or csv`,
    }) as unknown as Argv<LeaderboardArgs>;
}

/** `results/*.json` in the working directory, in name order (what the shell's glob would give). */
function defaultResultsFiles(): string[] {
  let names: string[];
  try {
    names = readdirSync('results', { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names.sort().map((n) => join('results', n));
}

export async function leaderboardMain(args: LeaderboardArgs): Promise<number> {
  let files = args.results ?? [];
  const sets = (args.reference ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (files.length === 0 && sets.length === 0) {
    // Nothing named: the runs evaluate wrote by default, as `leaderboard results/*.json` would.
    files = defaultResultsFiles();
    if (files.length === 0)
      throw new UserError(
        `leaderboard: no results files named and none in ${join('results', '*.json')} (${resolve('results')}); name some, or add --reference gensen,baselines`,
      );
    process.stderr.write(`leaderboard: reading ${files.length} results file${files.length === 1 ? '' : 's'} from results/*.json\n`);
  }
  if (args.out !== undefined) refuseExistingOut(args.out, args.force);
  const runs = files.map((f) => readResultsFile(f));
  let text: string;
  let mixed = false;
  if (args.view !== undefined) {
    if (sets.length) throw new UserError('--view shows runs only: drop --reference');
    if (args.format !== 'md' && args.format !== 'csv') throw new UserError(`--view: --format ${args.format} is not available for a view (md or csv)`);
    const table = buildView(args.view, runs);
    text = args.format === 'csv' ? renderViewCsv(table) : renderViewMarkdown(table);
  } else {
    const lb = buildLeaderboard(runs, sets.map(loadReferenceSet), { ...(args.baseline ? { baseline: args.baseline } : {}), strict: args.strict });
    text =
      args.format === 'csv' ? renderCsv(lb) : args.format === 'csv-long' ? renderCsvLong(lb) : args.format === 'html' ? renderHtml(lb) : renderMarkdown(lb);
    mixed = lb.mixed;
  }
  if (args.out) {
    writeFileAtomic(args.out, text);
    process.stderr.write(`wrote ${args.out}\n`);
  } else {
    process.stdout.write(text);
  }
  if (mixed)
    process.stderr.write('gensen-eval: warning: runs were measured under different protocols; they are marked in the table (use --strict to refuse)\n');
  return 0;
}

export const leaderboardCommand: CommandModule<object, LeaderboardArgs> = {
  command: 'leaderboard [results..]',
  describe: 'Table of runs beside published results (markdown, CSV or a self-contained HTML page)',
  builder,
  handler: runCommand(leaderboardMain),
};
