import type { Argv } from 'yargs';
import { projectConfig } from '../util/project-config.js';
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/did-you-mean.js';

const camel = (k: string): string => k.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Applies the project config's flag defaults for `command` (`evaluate` or `encode`) to a builder
 * whose options are all declared: they rank below the command line. A key that is no option of the
 * command is an error naming the config file, not yargs' bare "Unknown argument".
 */
export function withConfigDefaults<T>(y: Argv<T>, command: 'evaluate' | 'encode'): Argv<T> {
  const cfg = projectConfig();
  const defaults = cfg?.[command];
  if (!cfg || !defaults) return y;
  // yargs' own record of the declared options (not in its type declarations).
  const declared = (y as unknown as { getOptions(): { key: Record<string, boolean> } }).getOptions().key;
  const known = new Set(Object.keys(declared).map(camel));
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (!known.has(camel(k))) {
      const hint = didYouMean(k, Object.keys(declared).filter((o) => o !== '$0'), (o) => `'${command}.${o}'`);
      throw new UserError(`${cfg.source}: '${command}.${k}' is not an option of gensen-eval ${command}${hint} (see gensen-eval ${command} --help)`);
    }
    out[camel(k)] = v;
  }
  return y.config(out) as Argv<T>;
}
