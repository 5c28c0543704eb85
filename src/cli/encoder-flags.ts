/** The encoder flags of a command, built from the encoder registry (so a new encoder needs no CLI edit). */
import type { Argv } from 'yargs';
import { encoderNames, encoderOptions, kebab } from '../encoders/registry.js';

/**
 * Adds `--encoder` and every registered encoder's options, grouped by encoder in `--help`. Defaults
 * are shown but not set: an explicitly given flag must be told apart from a default, so that an
 * option meant for another encoder is refused rather than ignored. `own` names flags the command
 * defines itself (with its own meaning), which are left alone.
 */
export function addEncoderFlags<T>(y: Argv<T>, describeEncoder: string, own: ReadonlySet<string> = new Set()): Argv<T> {
  let out = y.option('encoder', { type: 'string', choices: encoderNames(), describe: describeEncoder }) as Argv<T>;
  const groups = new Map<string, string[]>();
  for (const [key, { option, encoders }] of encoderOptions()) {
    const flag = kebab(key);
    if (own.has(flag)) continue;
    out = out.option(flag, {
      type: option.type,
      describe: `${option.help}${encoders.length > 1 ? ` [${encoders.join(', ')}]` : ''}`,
      ...(option.choices ? { choices: [...option.choices] } : {}),
      ...(option.default !== undefined ? { defaultDescription: String(option.default) } : {}),
    }) as Argv<T>;
    const g = `Encoder options (--encoder ${encoders[0]}):`;
    groups.set(g, [...(groups.get(g) ?? []), flag]);
  }
  for (const [g, flags] of groups) out = out.group(flags, g) as Argv<T>;
  return out;
}

/** The encoder option values given on the command line, by camelCase name. */
export function encoderFlagValues(args: Readonly<Record<string, unknown>>, own: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of encoderOptions().keys()) {
    if (own.has(kebab(key))) continue;
    if (args[key] !== undefined) out[key] = args[key];
  }
  return out;
}
