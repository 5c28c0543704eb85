/**
 * The project config: `gensen-eval.config.json` in the working directory, else the `gensen-eval`
 * key of `./package.json`. It remembers what every command would otherwise need again:
 *
 *   { "dataDir": "../senteval-data", "cacheDir": ".cache/gensen-eval", "tasks": "MR,CR,SICK-R",
 *     "evaluate": { "config": "fast", "encoder": "gensen", "prefix1": "nli_large", "modelsDir": "models" },
 *     "encode": { "modelsDir": "models", "prefix1": "nli_large" } }
 *
 * Paths are relative to the file that holds them. Precedence: command-line flag, then environment
 * ($SENTEVAL_DATA, $GENSEN_EVAL_CACHE), then this file, then the built-in default. The file is
 * parsed (JSON, size-bounded), never executed; an unknown key is an error naming the file and key.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';

export const CONFIG_FILE = 'gensen-eval.config.json';
const MAX_BYTES = 1 << 20;

export type FlagValue = string | number | boolean;

export interface ProjectConfig {
  /** The file read, and where in it (`package.json#gensen-eval`). */
  readonly source: string;
  readonly dataDir?: string;
  readonly cacheDir?: string;
  readonly tasks?: string;
  /** Flag defaults per command (keys as the flags, camelCase or kebab-case). */
  readonly evaluate?: Readonly<Record<string, FlagValue>>;
  readonly encode?: Readonly<Record<string, FlagValue>>;
}

const TOP_KEYS = ['dataDir', 'cacheDir', 'tasks', 'evaluate', 'encode'] as const;
/** Flags whose values are paths: resolved against the config file's folder. */
const PATH_FLAGS = new Set(['modelsDir', 'models-dir', 'glove', 'vocab']);

function readJson(path: string, what: string): unknown {
  if (statSync(path).size > MAX_BYTES) throw new UserError(`${what}: larger than ${MAX_BYTES} bytes; not a config file`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

function parse(doc: unknown, source: string, baseDir: string): ProjectConfig {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError(`${source}: expected a JSON object`);
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) throw new UserError(`${source}: unknown key '${k}' (expected ${TOP_KEYS.join(', ')})`);
  }
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new UserError(`${source}: '${k}' must be a non-empty string`);
    return v;
  };
  let tasks: string | undefined;
  if (Array.isArray(o.tasks)) {
    if (o.tasks.some((t) => typeof t !== 'string')) throw new UserError(`${source}: 'tasks' must be a string or an array of strings`);
    tasks = (o.tasks as string[]).join(',');
  } else {
    tasks = str('tasks');
  }
  const flags = (k: 'evaluate' | 'encode'): Record<string, FlagValue> | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`${source}: '${k}' must be an object of flag defaults`);
    const out: Record<string, FlagValue> = {};
    for (const [f, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')
        throw new UserError(`${source}: '${k}.${f}' must be a string, number or boolean`);
      out[f] = PATH_FLAGS.has(f) && typeof x === 'string' ? resolve(baseDir, x) : x;
    }
    return out;
  };
  const dataDir = str('dataDir');
  const cacheDir = str('cacheDir');
  const evaluate = flags('evaluate');
  const encode = flags('encode');
  return {
    source,
    ...(dataDir ? { dataDir: resolve(baseDir, dataDir) } : {}),
    ...(cacheDir ? { cacheDir: resolve(baseDir, cacheDir) } : {}),
    ...(tasks ? { tasks } : {}),
    ...(evaluate ? { evaluate } : {}),
    ...(encode ? { encode } : {}),
  };
}

/** The config for `cwd`, or undefined when there is none. */
export function loadProjectConfig(cwd: string = process.cwd()): ProjectConfig | undefined {
  const file = join(cwd, CONFIG_FILE);
  if (existsSync(file)) return parse(readJson(file, file), file, dirname(file));
  const pkg = join(cwd, 'package.json');
  if (existsSync(pkg)) {
    const doc = readJson(pkg, pkg);
    const v = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['gensen-eval'] : undefined;
    if (v !== undefined) return parse(v, `${pkg}#gensen-eval`, cwd);
  }
  return undefined;
}

let memo: { cwd: string; config: ProjectConfig | undefined } | undefined;

/** The working directory's config, read once per process (per working directory). */
export function projectConfig(): ProjectConfig | undefined {
  const cwd = process.cwd();
  if (memo?.cwd !== cwd) memo = { cwd, config: loadProjectConfig(cwd) };
  return memo.config;
}
