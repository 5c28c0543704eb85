import { resolve } from 'node:path';
import { projectConfig } from '../util/project-config.js';

export type DataDirSource = '--data-dir' | '$SENTEVAL_DATA' | 'config' | 'default';

/**
 * The data folder and where it came from: `--data-dir`, else `$SENTEVAL_DATA`, else the project
 * config's `dataDir`, else `./data` (relative to the cwd).
 */
export function resolveDataDirWithSource(flag?: string, env: NodeJS.ProcessEnv = process.env, configDir: string | undefined = projectConfig()?.dataDir): { dir: string; source: DataDirSource } {
  if (flag !== undefined && flag !== '') return { dir: resolve(flag), source: '--data-dir' };
  const fromEnv = env.SENTEVAL_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return { dir: resolve(fromEnv), source: '$SENTEVAL_DATA' };
  if (configDir) return { dir: configDir, source: 'config' };
  return { dir: resolve('data'), source: 'default' };
}

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolveDataDirWithSource(flag, env).dir;
}
