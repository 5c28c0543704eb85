import type { Argv, CommandModule } from 'yargs';
import { DATA_DIR_HELP, resolveDataDir } from '../tasks/data-dir.js';
import { copyFromLocal, downloadUpstream, formatDownloadSummary } from '../tasks/get.js';
import { listTasks, resolveTasks } from '../tasks/registry.js';
import { formatStatus, verifyTaskData } from '../tasks/verify.js';
import { runCommand } from './run-command.js';
import { count } from '../util/english.js';

interface DataArgs {
  'data-dir'?: string;
  tasks?: string;
  'quora-dev-as-train'?: boolean;
}

interface GetArgs extends DataArgs {
  from?: string;
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function common<T>(y: Argv<T>): Argv<T & DataArgs> {
  return y
    .option('data-dir', { type: 'string', describe: DATA_DIR_HELP })
    .option('tasks', { type: 'string', describe: 'Comma-separated task names (default: all)' })
    .option('quora-dev-as-train', {
      type: 'boolean',
      describe: "Quora: the training file is not needed (train on the dev split's non-held-out part)",
    }) as Argv<T & DataArgs>;
}

/** Verifies the data of the selected tasks; 0 when all are present and match, else 1. */
export async function runVerify(args: DataArgs, log: (line: string) => void = out): Promise<number> {
  const dataDir = resolveDataDir(args['data-dir']);
  const defs = args.tasks === undefined ? listTasks() : resolveTasks(args.tasks);
  log(`data folder: ${dataDir}`);
  let bad = 0;
  for (const def of defs) {
    const s = await verifyTaskData(def, dataDir, { devAsTrain: args['quora-dev-as-train'] });
    if (!s.ok) bad++;
    log(formatStatus(s));
  }
  log(bad === 0 ? `all ${count(defs.length, 'task')} ok` : `${bad} of ${count(defs.length, 'task')} missing data or failing checksums`);
  return bad === 0 ? 0 : 1;
}

/** Fills the data folder (from --from, else from upstream), then verifies; exit code as verify's. */
export async function runGet(args: GetArgs, log: (line: string) => void = out): Promise<number> {
  const dataDir = resolveDataDir(args['data-dir']);
  const defs = args.tasks === undefined ? listTasks() : resolveTasks(args.tasks);
  if (args.from !== undefined) {
    const r = await copyFromLocal(defs, args.from, dataDir, log);
    log(`copied ${count(r.copied.length, 'file')}, ${r.alreadyPresent.length} already present, into ${dataDir}`);
    if (r.missing.length > 0) log(`not in ${args.from}: ${r.missing.join(', ')}`);
  } else {
    const r = await downloadUpstream(defs, dataDir, log);
    log('');
    log(formatDownloadSummary(r));
    log(
      `downloaded ${count(r.fetched.length, 'file')} into ${dataDir}${r.manual.length > 0 ? `; manual steps needed for ${r.manual.join(', ')}` : ''}${r.failed.length > 0 ? `; ${r.failed.length} download(s) failed (${[...new Set(r.failed.map((f) => f.task))].join(', ')})` : ''}`,
    );
    log('');
  }
  return runVerify(args, log);
}

export const dataCommand: CommandModule<object, object> = {
  command: 'data',
  describe: 'Check or fetch the benchmark data (SentEval data/downstream layout)',
  builder: (y) =>
    y
      .command({
        command: 'verify',
        describe: 'Report per task: present, missing (which file) or checksum mismatch (which file)',
        builder: (yy) => common(yy),
        handler: runCommand(async (a: DataArgs) => runVerify(a)),
      })
      .command({
        command: 'get',
        describe: 'Fill the data folder from a local SentEval-layout folder (--from) or from upstream, then verify',
        builder: (yy) => common(yy).option('from', { type: 'string', describe: 'Local folder in SentEval data/downstream layout to copy from' }),
        handler: runCommand(async (a: GetArgs) => runGet(a)),
      })
      .demandCommand(1, 'Name an action: verify or get.'),
  handler: () => undefined,
};
