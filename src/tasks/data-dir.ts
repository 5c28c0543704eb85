import { resolve } from 'node:path';

/** The data folder: `--data-dir`, else `$SENTEVAL_DATA`, else `./data` (relative to the cwd). */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const fromEnv = env.SENTEVAL_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return resolve('data');
}
