import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { DATA_DIR_HELP, dataLocation } from '../tasks/data-dir.js';
import { DATA_FIX, diagnoseDataDir, missingTaskFiles } from '../tasks/data-check.js';
import { findFile } from '../tasks/load.js';
import { listTasks, resolveTasks, suitesFile } from '../tasks/registry.js';
import type { TaskDefinition } from '../tasks/registry.js';
import { splitFileGroups } from '../tasks/definition.js';
import { runCommand } from './run-command.js';

interface TasksArgs {
  dataDir?: string;
  tasks?: string;
  json: boolean;
  files: boolean;
}

export interface TaskListing {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly protocol: string;
  readonly mainMetric: string;
  readonly metrics: readonly string[];
  readonly suites: readonly string[];
  /** Files (alternatives joined with " or "), each present or missing in the data folder. */
  readonly files: readonly { readonly path: string; readonly present: boolean }[];
  readonly present: boolean;
}

export function listTaskData(defs: readonly TaskDefinition[], dataDir: string): TaskListing[] {
  const suites = suitesFile().suites;
  return defs.map((def) => {
    const files: { path: string; present: boolean }[] = [];
    const seen = new Set<string>();
    for (const src of Object.values(def.splits)) {
      for (const alts of splitFileGroups(def, src)) {
        const key = alts.join(' or ');
        if (seen.has(key)) continue;
        seen.add(key);
        const found = findFile(dataDir, alts);
        files.push({ path: found ?? key, present: found !== undefined });
      }
    }
    return {
      id: def.id,
      aliases: def.aliases,
      protocol: def.protocol,
      mainMetric: def.mainMetric,
      metrics: def.metrics,
      suites: Object.entries(suites)
        .filter(([, s]) => s.tasks.includes(def.id))
        .map(([n]) => n),
      files,
      present: files.every((f) => f.present),
    };
  });
}

function builder(y: Argv): Argv<TasksArgs> {
  return y
    .option('data-dir', { type: 'string', describe: DATA_DIR_HELP })
    .option('tasks', { type: 'string', describe: 'Only these tasks or suites (comma-separated)' })
    .option('files', {
      type: 'boolean',
      default: false,
      describe: 'List every data file, present or missing (default: only the missing files of partly present tasks)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print the listing as JSON' }) as unknown as Argv<TasksArgs>;
}

export async function tasksMain(a: TasksArgs): Promise<number> {
  const loc = dataLocation(a.dataDir);
  const dataDir = loc.dir;
  const defs = a.tasks ? resolveTasks(a.tasks) : listTasks();
  const list = listTaskData(defs, dataDir);
  if (a.json) {
    process.stdout.write(JSON.stringify({ dataDir, dataDirExists: existsSync(dataDir), tasks: list }, null, 2) + '\n');
    return 0;
  }
  const from = loc.source === 'config' ? `from ${loc.configFile}` : loc.source === 'default' ? 'the default ./data' : `from ${loc.source}`;
  const lines = [`data folder: ${dataDir} (${from}${existsSync(dataDir) ? '' : '; does not exist'})`];
  const rows = [
    ['task', 'aliases', 'protocol', 'metric', 'data'],
    ...list.map((t) => [
      t.id,
      t.aliases.join(', ') || '–',
      t.protocol,
      t.mainMetric,
      t.present ? 'present' : `missing ${t.files.filter((f) => !f.present).length} of ${t.files.length}`,
    ]),
  ];
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  for (const r of rows)
    lines.push(
      r
        .map((c, j) => c.padEnd(w[j]!))
        .join('  ')
        .trimEnd(),
    );
  if (a.files) {
    lines.push('', 'files:');
    for (const t of list) for (const f of t.files) lines.push(`  ${t.id.padEnd(w[0]!)}  ${f.present ? 'present' : 'MISSING'}  ${f.path}`);
  } else {
    // Only what tells something the table does not: the files a partly present task lacks.
    const partly = list.filter((t) => !t.present && t.files.some((f) => f.present));
    if (partly.length > 0) {
      lines.push('', 'missing files of partly present tasks:');
      for (const t of partly)
        lines.push(
          `  ${t.id.padEnd(w[0]!)}  ${t.files
            .filter((f) => !f.present)
            .map((f) => f.path)
            .join(', ')}`,
        );
    }
  }
  const absent = list.filter((t) => !t.present);
  if (absent.length > 0 && list.every((t) => t.files.every((f) => !f.present))) {
    lines.push('', `no task's data is there: ${diagnoseDataDir(dataDir, missingTaskFiles(defs, dataDir))}`, DATA_FIX);
  } else if (absent.length > 0) {
    lines.push(
      '',
      `${absent.length} of ${list.length} task${list.length === 1 ? '' : 's'} lack data files ('tasks --files' lists every file); 'gensen-eval data get --tasks ${absent.map((t) => t.id).join(',')}' fetches what can be downloaded`,
    );
  }
  lines.push('', `suites: ${Object.keys(suitesFile().suites).join(', ')} (usable in --tasks)`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export const tasksCommand: CommandModule<object, TasksArgs> = {
  command: 'tasks',
  describe: 'List the tasks: ids, aliases, protocol, metric, data files and whether they are present',
  builder,
  handler: runCommand(tasksMain),
};
