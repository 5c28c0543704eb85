/**
 * The task registry: every `tasks/*.json` of the package, validated when first needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/package-info.js';
import { type TaskDefinition, validateDefinition } from './definition.js';

export type { TaskDefinition } from './definition.js';

export function tasksDir(): string {
  return join(packageRoot(), 'tasks');
}

/** Reads and validates every definition in a folder (sorted by file name). */
export function loadDefinitions(dir: string): TaskDefinition[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
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

const ORDER = ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC', 'SICK-R', 'SICK-E', 'STS-B', 'SNLI', 'MultiNLI', 'Quora'];

function sortTasks(defs: TaskDefinition[]): TaskDefinition[] {
  const rank = (id: string): number => {
    const i = ORDER.indexOf(id);
    return i < 0 ? ORDER.length : i;
  };
  return defs.sort((x, y) => rank(x.id) - rank(y.id) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** A task by id or alias, case-insensitively; unknown names list the known ids. */
export function resolveTask(name: string, tasks: readonly TaskDefinition[] = listTasks()): TaskDefinition {
  const key = name.trim().toLowerCase();
  const hit = tasks.find((t) => t.id.toLowerCase() === key || t.aliases.some((a) => a.toLowerCase() === key));
  if (hit === undefined) {
    throw new UserError(`unknown task "${name}"; known tasks: ${tasks.map((t) => t.id).join(', ')}`);
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
  for (const n of names) {
    const t = resolveTask(n, tasks);
    if (!out.includes(t)) out.push(t);
  }
  return out;
}
