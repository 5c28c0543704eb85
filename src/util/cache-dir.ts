import { homedir } from 'node:os';
import { join } from 'node:path';
import { projectConfig } from './project-config.js';

export type CacheDirSource = '$GENSEN_EVAL_CACHE' | 'config' | '$XDG_CACHE_HOME' | 'default';

/**
 * The user cache folder: `$GENSEN_EVAL_CACHE`, else the project config's `cacheDir`, else
 * `$XDG_CACHE_HOME/gensen-eval`, else `~/.cache/gensen-eval`. Caches are derived data only;
 * deleting the folder is always safe.
 */
export function cacheDirWithSource(): { dir: string; source: CacheDirSource } {
  const explicit = process.env.GENSEN_EVAL_CACHE;
  if (explicit) return { dir: explicit, source: '$GENSEN_EVAL_CACHE' };
  const fromConfig = projectConfig()?.cacheDir;
  if (fromConfig) return { dir: fromConfig, source: 'config' };
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && xdg.length > 0) return { dir: join(xdg, 'gensen-eval'), source: '$XDG_CACHE_HOME' };
  return { dir: join(homedir(), '.cache', 'gensen-eval'), source: 'default' };
}

export function cacheDir(): string {
  return cacheDirWithSource().dir;
}
