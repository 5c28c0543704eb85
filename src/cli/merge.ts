import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { mergeResults } from '../results/merge.js';
import { readResultsFile } from '../results/read.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { runCommand } from './run-command.js';
import { refuseExistingOut } from '../util/out-path.js';
import { examplesEpilogue } from './examples.js';
import { count } from '../util/english.js';

interface MergeArgs {
  files: string[];
  out: string;
  force: boolean;
}

function builder(y: Argv): Argv<MergeArgs> {
  return y
    .positional('files', { type: 'string', array: true, describe: 'Results files of one encoder and protocol (e.g. the shards of evaluate --shard K/N)' })
    .option('out', { type: 'string', demandOption: true, describe: 'The merged results file' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out' })
    .epilogue(examplesEpilogue([{ command: 'merge shard-*.json --out all.json', what: 'Combine the shards of a CI matrix' }])) as unknown as Argv<MergeArgs>;
}

export async function mergeMain(args: MergeArgs): Promise<number> {
  const files = args.files ?? [];
  if (files.length < 2) throw new UserError('merge: name at least two results files, e.g. gensen-eval merge a.json b.json --out all.json');
  refuseExistingOut(args.out, args.force);
  const { results, warnings, sidecars } = mergeResults(
    files.map((f) => readResultsFile(f)),
    args.out,
  );
  // Sidecars first: a results file never names a sidecar that is not there.
  for (const c of sidecars) {
    mkdirSync(dirname(c.to), { recursive: true });
    writeFileAtomic(c.to, readFileSync(c.from));
  }
  writeFileAtomic(args.out, `${JSON.stringify(results, null, 2)}\n`);
  for (const w of warnings) process.stderr.write(`gensen-eval: warning: ${w}\n`);
  process.stdout.write(
    `merged ${count(files.length, 'file')}, ${count(Object.keys(results.tasks).length, 'task')} (${Object.keys(results.tasks).join(', ')}): ${args.out}\n`,
  );
  return 0;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge [files..]',
  describe: 'Combine results files of one encoder and protocol (e.g. evaluate --shard K/N jobs) into one; refuses files measured differently',
  builder,
  handler: runCommand(mergeMain),
};
