import type { Argv } from 'yargs';
import { projectConfig } from '../util/project-config.js';
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/did-you-mean.js';

const camel = (k: string): string => k.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Settings that start a program or send data somewhere: a project config travels with a cloned
 * repository, so running a command there must not execute its `command` or send an environment
 * variable's value to its `url`. These come from the command line only, unless the user passes
 * --trust-config for a config they have read.
 */
export const COMMAND_LINE_ONLY: ReadonlySet<string> = new Set(['command', 'url', 'apiKeyEnv', 'headers']);

/**
 * Applies the project config's flag defaults for `command` (`evaluate` or `encode`) to a builder
 * whose options are all declared: they rank below the command line. A key that is no option of the
 * command is an error naming the config file, not yargs' bare "Unknown argument"; a key of
 * COMMAND_LINE_ONLY is refused, naming the file and the key, unless --trust-config is given.
 */
export function withConfigDefaults<T>(y: Argv<T>, command: 'evaluate' | 'encode'): Argv<T> {
  const withFlag = y.option('trust-config', {
    type: 'boolean',
    default: false,
    describe: 'Let the project config set what runs programs or sends data (command, url, apiKeyEnv, headers); read it first',
  }) as Argv<T>;
  const cfg = projectConfig();
  const defaults = cfg?.[command];
  if (!cfg || !defaults) return withFlag;
  // yargs' own record of the declared options (not in its type declarations).
  const declared = (withFlag as unknown as { getOptions(): { key: Record<string, boolean> } }).getOptions().key;
  const known = new Set(Object.keys(declared).map(camel));
  const out: Record<string, string | number | boolean> = {};
  const guarded: string[] = [];
  for (const [k, v] of Object.entries(defaults)) {
    if (!known.has(camel(k))) {
      const hint = didYouMean(
        k,
        Object.keys(declared).filter((o) => o !== '$0'),
        (o) => `'${command}.${o}'`,
      );
      throw new UserError(`${cfg.source}: '${command}.${k}' is not an option of gensen-eval ${command}${hint} (see gensen-eval ${command} --help)`);
    }
    if (COMMAND_LINE_ONLY.has(camel(k))) guarded.push(k);
    out[camel(k)] = v;
  }
  if (guarded.length === 0) return withFlag.config(out) as Argv<T>;
  // Refused before the handler runs, so nothing is started and nothing is sent.
  const kebabOf = (k: string): string => camel(k).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  // Given on the command line, the flag wins and the config's value is never used.
  const onCommandLine = (k: string): boolean =>
    process.argv.slice(2).some((a) => [kebabOf(k), camel(k)].some((f) => a === `--${f}` || a.startsWith(`--${f}=`)));
  return withFlag.config(out).middleware((argv) => {
    if (argv.trustConfig === true) return;
    const unsafe = guarded.filter((k) => !onCommandLine(k));
    if (unsafe.length === 0) return;
    throw new UserError(
      `${cfg.source}: '${command}.${unsafe[0]}' starts a program or sends data, so it is taken from the command line only; give --${kebabOf(unsafe[0]!)} yourself, or pass --trust-config if you trust this file`,
    );
  }, true) as Argv<T>;
}
