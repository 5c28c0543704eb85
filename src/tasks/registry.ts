/**
 * The task registry: every `tasks/*.json` of the package, validated when first needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didYouMean } from '../util/did-you-mean.js';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/package-info.js';
import { type TaskDefinition, validateDefinition } from './definition.js';

export type { TaskDefinition } from './definition.js';

export function tasksDir(): string {
  return join(packageRoot(), 'tasks');
}

/** Reads and validates every definition in a folder (sorted by file name). */
export function loadDefinitions(dir: string): TaskDefinition[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== SUITES_FILE)
    .sort();
  const defs: TaskDefinition[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const where = join(dir, f);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(where, 'utf8'));
    } catch (e) {
      throw new UserError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    const def = validateDefinition(doc, where);
    if (f !== `${def.id}.json`) throw new UserError(`${where}: file name must be ${def.id}.json`);
    for (const name of [def.id, ...def.aliases]) {
      const key = name.toLowerCase();
      const other = seen.get(key);
      if (other !== undefined) throw new UserError(`${where}: name "${name}" is already used by ${other}`);
      seen.set(key, def.id);
    }
    defs.push(def);
  }
  return defs;
}

let cache: TaskDefinition[] | undefined;

/** Every task, in the order of GenSen's tables (the `order` below), unknown extras last by id. */
export function listTasks(): TaskDefinition[] {
  cache ??= sortTasks(loadDefinitions(tasksDir()));
  return [...cache];
}

function sortTasks(defs: TaskDefinition[]): TaskDefinition[] {
  const order = suitesFile().order;
  const rank = (id: string): number => {
    const i = order.indexOf(id);
    return i < 0 ? order.length : i;
  };
  return defs.sort((x, y) => rank(x.id) - rank(y.id) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Spelling-insensitive key of a task name: `SICK-R`, `sick_r` and `SICKR` meet. */
export function taskNameKey(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * The task a name refers to in reports and encoder hints, matching ids and aliases however they are
 * punctuated (results files and reference rows spell them `SICKRelatedness`, `STS-B`, `MNLI`, ...);
 * undefined for a task no definition knows.
 */
export function findTask(name: string, tasks: readonly TaskDefinition[] = listTasks()): TaskDefinition | undefined {
  const key = taskNameKey(name);
  return tasks.find((t) => taskNameKey(t.id) === key || t.aliases.some((a) => taskNameKey(a) === key));
}

/** A task by id or alias, case-insensitively; unknown names list the known ids. */
export function resolveTask(name: string, tasks: readonly TaskDefinition[] = listTasks()): TaskDefinition {
  const key = name.trim().toLowerCase();
  const hit = tasks.find((t) => t.id.toLowerCase() === key || t.aliases.some((a) => a.toLowerCase() === key));
  if (hit === undefined) {
    // Suggest among ids, aliases and suite names: all are accepted where a task list is.
    const names = [...tasks.flatMap((t) => [t.id, ...t.aliases]), ...Object.keys(suitesFile().suites)];
    const hint = didYouMean(
      name.trim(),
      names,
      (c) => c,
      (c) => findTask(c, tasks)?.id ?? c,
    );
    throw new UserError(`unknown task "${name}"${hint}; known tasks: ${tasks.map((t) => t.id).join(', ')}`);
  }
  return hit;
}

/** A comma-separated list of names (or `all`), resolved, without duplicates, in the given order. */
export function resolveTasks(list: string | readonly string[], tasks: readonly TaskDefinition[] = listTasks()): TaskDefinition[] {
  const names = (typeof list === 'string' ? [list] : list)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new UserError(`no task named; known tasks: ${tasks.map((t) => t.id).join(', ')}`);
  if (names.length === 1 && names[0].toLowerCase() === 'all') return [...tasks];
  const out: TaskDefinition[] = [];
  const suites = suitesFile().suites;
  for (const n of names) {
    const suite = Object.hasOwn(suites, n.toLowerCase()) ? suites[n.toLowerCase()] : undefined;
    const hits =
      suite && !tasks.some((t) => t.id.toLowerCase() === n.toLowerCase()) ? suite.tasks.map((id) => resolveTask(id, tasks)) : [resolveTask(n, tasks)];
    for (const t of hits) if (!out.includes(t)) out.push(t);
  }
  return out;
}

/**
 * A fixed table a suite is reported as (`leaderboard --view NAME`), as a paper prints it: one column
 * per (task, metric), values in display points rounded to `digits`, and the average of the rounded
 * cells under `average`.
 */
export interface SuiteView {
  /** Where the table's layout comes from (printed under it). */
  readonly source: string;
  readonly columns: readonly { readonly task: string; readonly metric: string; readonly header: string }[];
  readonly digits: number;
  readonly average: string;
}

export interface TaskSuite {
  readonly description: string;
  readonly tasks: readonly string[];
  readonly view?: SuiteView;
}

/** `tasks/suites.json`: the listing order, named suites, the default suite and the report order. */
export interface TaskSuites {
  readonly order: readonly string[];
  readonly suites: Readonly<Record<string, TaskSuite>>;
  readonly default: string;
  readonly leaderboard: string;
}

const SUITES_FILE = 'suites.json';
let suitesCache: TaskSuites | undefined;

export function suitesFile(): TaskSuites {
  if (suitesCache) return suitesCache;
  const where = join(tasksDir(), SUITES_FILE);
  const fail = (what: string): never => {
    throw new UserError(`${where}: ${what}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(where, 'utf8'));
  } catch (e) {
    fail(`cannot read the suites file (${(e as Error).message})`);
  }
  const o = doc as Partial<TaskSuites> | null;
  const ids = (v: unknown, what: string): readonly string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : fail(`${what} must be a list of task ids`);
  if (o === null || typeof o !== 'object') return fail('expected a JSON object');
  const order = ids(o.order, 'order');
  if (o.suites === null || typeof o.suites !== 'object') return fail('"suites" must be an object');
  const suites: Record<string, TaskSuite> = {};
  for (const [name, s] of Object.entries(o.suites)) {
    if (name !== name.toLowerCase()) fail(`suite name "${name}" must be lowercase`);
    if (typeof s?.description !== 'string') fail(`suite "${name}" needs a description`);
    const tasks = ids(s.tasks, `suite "${name}".tasks`);
    suites[name] = { description: s.description, tasks, ...(s.view === undefined ? {} : { view: readView(s.view, tasks, `suite "${name}".view`, fail) }) };
  }
  const pick = (v: unknown, what: string): string => (typeof v === 'string' && Object.hasOwn(suites, v) ? v : fail(`"${what}" must name a suite`));
  suitesCache = { order, suites, default: pick(o.default, 'default'), leaderboard: pick(o.leaderboard, 'leaderboard') };
  return suitesCache;
}

function readView(v: unknown, tasks: readonly string[], what: string, fail: (m: string) => never): SuiteView {
  const o = v as Partial<Record<keyof SuiteView, unknown>> | null;
  if (o === null || typeof o !== 'object') return fail(`${what} must be an object`);
  if (typeof o.source !== 'string' || typeof o.average !== 'string') fail(`${what} needs "source" and "average" strings`);
  if (!Number.isInteger(o.digits) || (o.digits as number) < 0 || (o.digits as number) > 6) fail(`${what}.digits must be an integer from 0 to 6`);
  if (!Array.isArray(o.columns) || o.columns.length === 0) fail(`${what}.columns must list at least one column`);
  const columns = (o.columns as unknown[]).map((c, i) => {
    const x = c as Record<string, unknown> | null;
    if (x === null || typeof x !== 'object' || typeof x.task !== 'string' || typeof x.metric !== 'string' || typeof x.header !== 'string') {
      return fail(`${what}.columns[${i}] must be {task, metric, header}`);
    }
    if (!tasks.includes(x.task)) fail(`${what}.columns[${i}]: task ${x.task} is not in the suite`);
    return { task: x.task, metric: x.metric, header: x.header };
  });
  return { source: o.source as string, columns, digits: o.digits as number, average: o.average as string };
}

/** The tasks `evaluate` runs without --tasks (the default suite), as ids. */
export function defaultTaskIds(): readonly string[] {
  const s = suitesFile();
  return s.suites[s.default].tasks;
}
