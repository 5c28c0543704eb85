/**
 * The encoder registry: every encoder declares its name, its options and a factory here, and the
 * CLI builds `--encoder`'s choices, the encoder flags and their help from it. A built-in encoder is
 * one folder `src/encoders/<name>/` whose `definition.ts` exports `definition` (or `definitions`);
 * the folder is found at start-up, so adding an encoder touches no other file. Library users call
 * `registerEncoder` with their own definition.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';
import type { DeviceChoice } from '../compute/device.js';
import type { SentenceEncoder } from './types.js';

export type OptionValue = string | number | boolean;

export interface EncoderOption {
  readonly type: 'string' | 'number' | 'boolean';
  /** One line for `--help`. */
  readonly help: string;
  readonly default?: OptionValue;
  readonly choices?: readonly string[];
  readonly required?: boolean;
  /** number options: must be an integer no smaller than `min` and no larger than `max`. */
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** Option values keyed by camelCase name (the flag is its kebab-case form). Defaults applied. */
export type EncoderOptionValues = Readonly<Record<string, OptionValue | undefined>>;

export interface EncoderContext {
  /** Progress and notes meant for the user (stderr in the CLI). */
  readonly onNote?: (msg: string) => void;
  /**
   * `--device`: where the encoder's heavy kernels should run. Encoders with a GPU path honour it
   * (`gpu` fails in one line without an adapter, `auto` falls back to the CPU); others run on the
   * CPU whatever it says, and report so through `computeDevice`.
   */
  readonly device?: DeviceChoice;
  /**
   * Which command drives the encoder. `evaluate` (the default): tasks' tokens as SentEval hands
   * them, one `prepare` per task. `encode`: the command's own tokens of raw sentences (its
   * `--lowercase`/`--tokenize`, src/text/sentence-tokens.ts) and one `prepare` over all of them;
   * encoders that mimic a reference evaluation script's batcher (GenSen) apply it only under `evaluate`.
   */
  readonly use?: 'evaluate' | 'encode';
}

export interface EncoderDefinition {
  readonly name: string;
  /** One line for `--help`. */
  readonly describe: string;
  /** Keyed by camelCase name; the CLI flag is the kebab-case form (`modelDir` → `--model-dir`). */
  readonly options: Readonly<Record<string, EncoderOption>>;
  /** Sorts `--encoder`'s choices (built-ins: 0-99). */
  readonly order?: number;
  /** An option (camelCase) whose presence selects this encoder when `--encoder` is not given (GenSen's `prefix1`). */
  readonly impliedBy?: string;
  /** Its encoders implement `encodeWithStates` (the `encode` command's `--all-states`). */
  readonly tokenStates?: boolean;
  create(options: EncoderOptionValues, ctx: EncoderContext): Promise<SentenceEncoder>;
}

const registry = new Map<string, EncoderDefinition>();

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Adds an encoder. Its option names may be shared with other encoders only with the same type. */
export function registerEncoder(def: EncoderDefinition): void {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`encoder name '${def.name}': expected lowercase letters, digits and '-'`);
  if (registry.has(def.name)) throw new Error(`encoder '${def.name}' is already registered`);
  for (const [key, opt] of Object.entries(def.options)) {
    for (const other of registry.values()) {
      const o = other.options[key];
      if (o && o.type !== opt.type) {
        throw new Error(`encoder '${def.name}' option --${kebab(key)} is a ${opt.type}, but '${other.name}' declares it a ${o.type}`);
      }
    }
  }
  registry.set(def.name, def);
}

export function encoderNames(): string[] {
  return [...registry.values()].sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name)).map((d) => d.name);
}

export function encoderDefinition(name: string): EncoderDefinition {
  const def = registry.get(name);
  if (!def) throw new UserError(`unknown --encoder '${name}': expected one of ${encoderNames().join(', ')}`);
  return def;
}

/**
 * The encoder a command runs: `--encoder` if given, else the one an option given on the command
 * line implies (`--prefix1`: gensen), else `fallback`.
 */
export function impliedEncoder(explicit: string | undefined, given: Readonly<Record<string, unknown>>, fallback?: string): string | undefined {
  if (explicit !== undefined) return explicit;
  for (const name of encoderNames()) {
    const key = registry.get(name)!.impliedBy;
    if (key !== undefined && given[key] !== undefined) return name;
  }
  return fallback;
}

/** For `--encoder`'s help: `gensen with --prefix1` for each encoder an option implies. */
export function impliedEncoderHelp(): string {
  return encoderNames()
    .filter((n) => registry.get(n)!.impliedBy !== undefined)
    .map((n) => `${n} with --${kebab(registry.get(n)!.impliedBy!)}`)
    .join(', ');
}

/** Every encoder option, with the encoders that declare it, in registry order (for the CLI). */
export function encoderOptions(): Map<string, { option: EncoderOption; encoders: string[] }> {
  const out = new Map<string, { option: EncoderOption; encoders: string[] }>();
  for (const name of encoderNames()) {
    for (const [key, option] of Object.entries(registry.get(name)!.options)) {
      const e = out.get(key);
      if (e) e.encoders.push(name);
      else out.set(key, { option, encoders: [name] });
    }
  }
  return out;
}

/**
 * Checks the given option values against `name`'s declarations and applies defaults. An option that
 * only other encoders declare is a mistake (it would be silently ignored), so it is refused.
 */
export function resolveEncoderOptions(name: string, given: Readonly<Record<string, unknown>>): Record<string, OptionValue | undefined> {
  const def = encoderDefinition(name);
  const all = encoderOptions();
  const out: Record<string, OptionValue | undefined> = {};
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined || def.options[key]) continue;
    const owner = all.get(key);
    if (owner) throw new UserError(`--${kebab(key)} is an option of --encoder ${owner.encoders.join('/')}, not ${name}`);
  }
  for (const [key, opt] of Object.entries(def.options)) {
    const flag = `--${kebab(key)}`;
    const g = given[key];
    if (Array.isArray(g)) throw new UserError(`${flag} was given more than once`);
    // An empty value is a mistake (an unset variable in a script) unless the option's default is empty.
    if (typeof g === 'string' && g.trim() === '' && opt.type === 'string' && opt.default !== '') throw new UserError(`${flag} needs a value`);
    const v = g ?? opt.default;
    if (v === undefined) {
      if (opt.required)
        throw new UserError(`--encoder ${name} needs ${flag}: ${opt.help.startsWith(`${name}: `) ? opt.help.slice(name.length + 2) : opt.help}`);
      out[key] = undefined;
      continue;
    }
    if (opt.type === 'number') {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n) || (opt.integer && !Number.isInteger(n)) || (opt.min !== undefined && n < opt.min) || (opt.max !== undefined && n > opt.max)) {
        const range =
          opt.min !== undefined && opt.max !== undefined
            ? `from ${opt.min} to ${opt.max}`
            : [opt.min !== undefined ? `>= ${opt.min}` : '', opt.max !== undefined ? `<= ${opt.max}` : ''].filter(Boolean).join(' and ');
        const what = `${opt.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
        throw new UserError(`${flag} must be ${what}, got ${Number.isNaN(n) ? 'a non-number' : `'${String(v)}'`}`);
      }
      out[key] = n;
    } else if (opt.type === 'boolean') {
      if (typeof v !== 'boolean') throw new UserError(`${flag} is a switch (true/false), got '${String(v)}'`);
      out[key] = v;
    } else {
      if (typeof v !== 'string' || (opt.required && v === '')) throw new UserError(`${flag} must be a non-empty string, got '${String(v)}'`);
      if (opt.choices && !opt.choices.includes(v)) throw new UserError(`${flag} must be one of ${opt.choices.join(', ')}, got '${v}'`);
      out[key] = v;
    }
  }
  return out;
}

/** Built-ins: each `src/encoders/<folder>/definition.{js,ts}`, discovered so no list needs editing. */
async function loadBuiltins(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  for (const dir of readdirSync(here, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    const file = join(here, dir, `definition.${ext}`);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { definition?: EncoderDefinition; definitions?: EncoderDefinition[] };
    for (const d of mod.definitions ?? (mod.definition ? [mod.definition] : [])) registerEncoder(d);
  }
}

await loadBuiltins();
