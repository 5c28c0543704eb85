import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The user cache folder: `$GENSEN_EVAL_CACHE`, else `$XDG_CACHE_HOME/gensen-eval`, else
 * `~/.cache/gensen-eval`. Caches are derived data only; deleting the folder is always safe.
 */
export function cacheDir(): string {
  const explicit = process.env.GENSEN_EVAL_CACHE;
  if (explicit) return explicit;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'gensen-eval');
}
