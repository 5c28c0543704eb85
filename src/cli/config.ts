import yargs from 'yargs';
import type { Argv, CommandModule } from 'yargs';
import { encodeCommand } from './encode.js';
import { evaluateCommand } from './evaluate.js';
import { resolveDataDirWithSource } from '../tasks/data-dir.js';
import { defaultTaskIds } from '../tasks/registry.js';
import { cacheDirWithSource } from '../util/cache-dir.js';
import { CONFIG_FILE, projectConfig } from '../util/project-config.js';
import { runCommand } from './run-command.js';

interface ConfigArgs {
  json: boolean;
}

export interface ResolvedConfig {
  readonly configFile: string | null;
  readonly dataDir: { readonly value: string; readonly from: string };
  readonly cacheDir: { readonly value: string; readonly from: string };
  readonly tasks: { readonly value: string; readonly from: string };
  readonly evaluate: Readonly<Record<string, string | number | boolean>>;
  readonly encode: Readonly<Record<string, string | number | boolean>>;
}

export function resolvedConfig(): ResolvedConfig {
  const cfg = projectConfig();
  const data = resolveDataDirWithSource();
  const cache = cacheDirWithSource();
  return {
    configFile: cfg?.source ?? null,
    dataDir: { value: data.dir, from: data.source === 'config' ? cfg!.source : data.source },
    cacheDir: { value: cache.dir, from: cache.source === 'config' ? cfg!.source : cache.source },
    tasks: cfg?.tasks ? { value: cfg.tasks, from: cfg.source } : { value: defaultTaskIds().join(','), from: 'default' },
    evaluate: cfg?.evaluate ?? {},
    encode: cfg?.encode ?? {},
  };
}

/**
 * Builds `evaluate` and `encode` on a throwaway parser, which applies the config's flag defaults
 * and refuses a key that is no option of the command (`evaluate.confg`), as running them would.
 */
function checkFlagDefaults(): void {
  for (const c of [evaluateCommand, encodeCommand] as const) {
    const build = c.builder as (y: Argv) => Argv;
    build(yargs([]));
  }
}

export async function configMain(a: ConfigArgs): Promise<number> {
  checkFlagDefaults();
  const r = resolvedConfig();
  if (a.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `config file: ${r.configFile ?? `none (looked for ./${CONFIG_FILE}, then the "gensen-eval" key of ./package.json)`}`,
    `data dir:    ${r.dataDir.value}  (from ${r.dataDir.from})`,
    `cache dir:   ${r.cacheDir.value}  (from ${r.cacheDir.from})`,
    `tasks:       ${r.tasks.value}  (from ${r.tasks.from})`,
  ];
  for (const cmd of ['evaluate', 'encode'] as const) {
    const e = Object.entries(r[cmd]);
    lines.push(`${cmd} defaults:${e.length ? '' : ' none'}`);
    for (const [k, v] of e) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export const configCommand: CommandModule<object, ConfigArgs> = {
  command: 'config',
  describe: `Show the resolved settings (data dir, cache dir, default tasks, flag defaults) and where each comes from (./${CONFIG_FILE} or package.json "gensen-eval")`,
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'Print as JSON' }) as unknown as Argv<ConfigArgs>,
  handler: runCommand(configMain),
};
