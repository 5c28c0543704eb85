import { resolve } from 'node:path';
import { projectConfig } from '../util/project-config.js';

export type DataDirSource = '--data-dir' | '$SENTEVAL_DATA' | 'config' | 'default';

/** The data folder, where it came from, and the config file when that named it (for messages). */
export interface DataLocation {
  readonly dir: string;
  readonly source: DataDirSource;
  readonly configFile?: string;
}

/**
 * The data folder and where it came from: `--data-dir`, else `$SENTEVAL_DATA`, else the project
 * config's `dataDir`, else `./data` (relative to the cwd).
 */
export function resolveDataDirWithSource(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  configDir: string | undefined = projectConfig()?.dataDir,
): { dir: string; source: DataDirSource } {
  if (flag !== undefined && flag !== '') return { dir: resolve(flag), source: '--data-dir' };
  const fromEnv = env.SENTEVAL_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return { dir: resolve(fromEnv), source: '$SENTEVAL_DATA' };
  if (configDir) return { dir: configDir, source: 'config' };
  return { dir: resolve('data'), source: 'default' };
}

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolveDataDirWithSource(flag, env).dir;
}

/** `resolveDataDirWithSource` with the config file named, for messages about the folder. */
export function dataLocation(flag?: string): DataLocation {
  const r = resolveDataDirWithSource(flag);
  const file = r.source === 'config' ? projectConfig()?.source : undefined;
  return file === undefined ? r : { ...r, configFile: file };
}

/** The `--data-dir` help of every command (one statement of the precedence). */
export const DATA_DIR_HELP = 'SentEval data/downstream folder (default: $SENTEVAL_DATA, then "dataDir" of ./gensen-eval.config.json, then ./data)';
