/**
 * `gensen-eval sentences`: every sentence a run over the tasks will ask an encoder for, in the exact
 * string form the vectors and http encoders use (tokens joined by single spaces), one JSON string
 * per line, each once, in first-seen order. Encode them anywhere, then `--encoder vectors`.
 */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { sentenceText } from '../encoders/vectors/vectors-encoder.js';
import { taskContext } from '../evaluate/run-task.js';
import { DATA_DIR_HELP, dataLocation } from '../tasks/data-dir.js';
import { assertTaskData } from '../tasks/data-check.js';
import { loadTask } from '../tasks/load.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { refuseExistingOut } from '../util/out-path.js';
import { UserError } from '../util/errors.js';
import { defaultTaskIds, resolveTasks } from '../tasks/registry.js';
import { runCommand } from './run-command.js';
import { examplesEpilogue } from './examples.js';
import { count } from '../util/english.js';

interface SentencesArgs {
  tasks: string;
  dataDir?: string;
  out: string;
  force: boolean;
  quoraDevAsTrain: boolean;
}

export async function collectSentences(tasks: string, dataDir: string, quoraDevAsTrain = false): Promise<string[]> {
  const seen = new Set<string>();
  for (const def of resolveTasks(tasks)) {
    const ctx = taskContext(def, await loadTask(def, dataDir, { devAsTrain: quoraDevAsTrain }));
    for (const t of ctx.samples) seen.add(sentenceText(t));
  }
  return [...seen];
}

export const sentencesCommand: CommandModule<object, SentencesArgs> = {
  command: 'sentences',
  describe: "Write every sentence a run over --tasks encodes (.jsonl), for '--encoder vectors'",
  builder: (y: Argv) =>
    y
      .option('tasks', { type: 'string', default: defaultTaskIds().join(','), describe: 'Comma-separated task ids or suite names (tasks/suites.json)' })
      .option('data-dir', { type: 'string', describe: DATA_DIR_HELP })
      .option('out', { type: 'string', demandOption: true, describe: 'Output .jsonl: one JSON string per line' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out' })
      .option('quora-dev-as-train', { type: 'boolean', default: false, describe: 'As evaluate --quora-dev-as-train' })
      .epilogue(
        examplesEpilogue([
          { command: 'sentences --tasks SICK-E,STS-B --out sentences.jsonl', what: 'Then encode each line and save a float32 .npy whose row i is line i' },
          { command: 'evaluate --encoder vectors --sentences sentences.jsonl --vectors vectors.npy --tasks SICK-E,STS-B', what: 'Evaluate those vectors' },
        ]),
      ) as unknown as Argv<SentencesArgs>,
  handler: runCommand(async (a: SentencesArgs) => {
    if (!a.out.endsWith('.jsonl')) throw new UserError(`--out ${a.out}: expected a .jsonl file name`);
    refuseExistingOut(a.out, a.force);
    const loc = dataLocation(a.dataDir);
    assertTaskData(resolveTasks(a.tasks), loc, { devAsTrain: a.quoraDevAsTrain });
    const sentences = await collectSentences(a.tasks, loc.dir, a.quoraDevAsTrain);
    const out = resolve(a.out);
    writeFileAtomic(out, sentences.map((s) => `${JSON.stringify(s)}\n`).join(''));
    process.stderr.write(`wrote ${count(sentences.length, 'sentence')} to ${out}\n`);
  }),
};
