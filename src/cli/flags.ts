/** Flag checks shared by the commands: seeds, empty values, contradictions. */
import { UserError } from '../util/errors.js';

/** Seeds are unsigned 32-bit integers (the generators take them modulo 2^32 otherwise). */
export const MAX_SEED = 2 ** 32 - 1;
export const SEED_RANGE = `an integer from 0 to ${MAX_SEED}`;

/** A `--seed`-like flag: yargs turns 'abc' into NaN and keeps 1.5 and -7 as given. */
export function checkSeed(flag: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > MAX_SEED) {
    throw new UserError(`${flag} must be ${SEED_RANGE}, got ${Number.isNaN(v) ? 'a non-number' : String(v)}`);
  }
  return v;
}

/** `--seeds 1111,1112,1113`: distinct seeds, each in range. */
export function parseSeedList(flag: string, text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^[0-9]+$/.test(p))) {
    throw new UserError(`${flag} must be comma-separated integers from 0 to ${MAX_SEED}, got '${text}'`);
  }
  const seeds = parts.map((p) => checkSeed(flag, Number(p)));
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new UserError(`${flag} lists seed ${dup} twice: the spread over seeds needs distinct seeds`);
  return seeds;
}

/**
 * `--tasks` with nothing after it reaches the handler as '' (or, before another flag, as ''),
 * which would otherwise fall back to a default: refuse it for every named string flag.
 */
export function refuseEmpty(args: Record<string, unknown>, flags: readonly string[]): void {
  for (const f of flags) {
    const camel = f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = args[camel];
    if (typeof v === 'string' && v.trim() === '') throw new UserError(`--${f} needs a value`);
    if (Array.isArray(v)) throw new UserError(`--${f} was given more than once`);
  }
}
