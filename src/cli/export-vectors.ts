/**
 * `gensen-eval export-vectors`: the embedded word vectors (the `bow` encoder's) as a GloVe text file,
 * the input of examples/encoders/bow.mjs and bow.py and of any bag-of-words tool. The package's JSON
 * holds 102 numbers per word (100 dimensions, then an L2 norm and a word index): this writes the 100.
 */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { taskContext } from '../evaluate/run-task.js';
import { assertTaskData } from '../tasks/data-check.js';
import { DATA_DIR_HELP, dataLocation } from '../tasks/data-dir.js';
import { loadTask } from '../tasks/load.js';
import { resolveTasks } from '../tasks/registry.js';
import { UserError } from '../util/errors.js';
import { assertWritableOutput, refuseExistingOut } from '../util/out-path.js';
import { configureVectorCache, loadEmbeddedVectors } from '../vectors/embedded.js';
import { writeGloveText } from '../vectors/glove-export.js';
import { examplesEpilogue } from './examples.js';
import { refuseEmpty } from './flags.js';
import { runCommand } from './run-command.js';

interface ExportArgs {
  out: string;
  tasks?: string;
  dataDir?: string;
  force: boolean;
  cache: boolean;
}

/** Every token of the tasks' samples, lowercased (what `bow` and the examples look up). */
async function taskWords(tasks: string, dataDir: string): Promise<string[]> {
  const words = new Set<string>();
  for (const def of resolveTasks(tasks)) {
    const ctx = taskContext(def, await loadTask(def, dataDir));
    for (const s of ctx.samples) for (const w of s) words.add(w.toLowerCase());
  }
  return [...words].sort();
}

export async function exportVectorsMain(a: ExportArgs): Promise<number> {
  refuseEmpty(a as unknown as Record<string, unknown>, ['out', 'tasks', 'data-dir']);
  const out = resolve(a.out);
  assertWritableOutput(out);
  refuseExistingOut(out, a.force);
  let words: string[] | undefined;
  if (a.tasks !== undefined) {
    const loc = dataLocation(a.dataDir);
    assertTaskData(resolveTasks(a.tasks), loc);
    words = await taskWords(a.tasks, loc.dir);
  } else if (a.dataDir !== undefined) {
    throw new UserError('--data-dir is read only with --tasks (the words of those tasks); without --tasks every word is written');
  }
  configureVectorCache({ enabled: a.cache });
  const table = loadEmbeddedVectors((m) => process.stderr.write(`gensen-eval: ${m}\n`));
  const r = writeGloveText(table, out, words);
  const of = words === undefined ? `of ${table.words.length}` : `of the tasks' ${words.length} distinct lowercased tokens`;
  const skipped =
    r.skipped.length > 0 ? `; ${r.skipped.length} word${r.skipped.length === 1 ? '' : 's'} with whitespace left out (the format cannot hold them)` : '';
  process.stderr.write(`wrote ${r.written} ${r.dim}-d word vectors (${of}, from ${table.source}) to ${out}${skipped}\n`);
  return 0;
}

export const exportVectorsCommand: CommandModule<object, ExportArgs> = {
  command: 'export-vectors',
  describe: "Write the embedded word vectors (the bow encoder's, 100-d) as a GloVe text file, for examples/encoders",
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output text file: "word v1 ... v100" per line' })
      .option('tasks', { type: 'string', describe: "Only the words of these tasks' sentences (lowercased; a much smaller file)" })
      .option('data-dir', { type: 'string', describe: `With --tasks: ${DATA_DIR_HELP}` })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out' })
      .option('cache', { type: 'boolean', default: true, describe: 'Use the binary cache of the embedded vectors (--no-cache: parse the package)' })
      .epilogue(
        examplesEpilogue([
          { command: 'export-vectors --out embedded-100d.txt', what: 'Every word (341,479 lines, about 300 MB)' },
          { command: 'export-vectors --tasks SICK-E,STS-B --out sick-stsb.txt', what: "Only these tasks' words" },
        ]),
      ) as unknown as Argv<ExportArgs>,
  handler: runCommand(exportVectorsMain),
};
