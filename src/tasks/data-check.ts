/**
 * Presence of the requested tasks' files, checked all at once before any work, so that a wrong data
 * folder is one message listing every missing file and saying what the folder looks like (absent,
 * a file, one task's folder, a folder above the data) and how to point the harness at the data.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { CONFIG_FILE } from '../util/project-config.js';
import { splitFileGroups, type TaskDefinition } from './definition.js';
import { findFile } from './load.js';
import type { DataLocation } from './data-dir.js';

export interface MissingFiles {
  readonly task: string;
  /** Each missing file (alternatives joined with " or "), with a hint where another flag avoids it. */
  readonly files: readonly string[];
  /** How many files the task needs in all. */
  readonly needed: number;
}

export interface PresenceOptions {
  /** Quora without its training file (`--quora-dev-as-train`). */
  readonly devAsTrain?: boolean;
}

/** Every file of each task that is not in `dataDir` (tasks with nothing missing are left out). */
export function missingTaskFiles(defs: readonly TaskDefinition[], dataDir: string, opts: PresenceOptions = {}): MissingFiles[] {
  const out: MissingFiles[] = [];
  for (const def of defs) {
    const files: string[] = [];
    const seen = new Set<string>();
    for (const [split, src] of Object.entries(def.splits)) {
      const viaDev = split === 'train' && def.devAsTrain !== undefined;
      if (viaDev && opts.devAsTrain === true) continue;
      for (const alts of splitFileGroups(def, src)) {
        const key = alts.join(' or ');
        if (seen.has(key)) continue;
        seen.add(key);
        if (findFile(dataDir, alts) === undefined) files.push(viaDev ? `${key} (or pass ${def.devAsTrain!.flag})` : key);
      }
    }
    if (files.length > 0) out.push({ task: def.id, files, needed: seen.size });
  }
  return out;
}

function kind(path: string): 'dir' | 'file' | 'none' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}

/** The expected relative paths of the missing files (alternatives split, hints removed). */
function expectedPaths(missing: readonly MissingFiles[]): string[] {
  return missing.flatMap((m) => m.files.flatMap((f) => f.replace(/ \(or pass .*\)$/, '').split(' or ')));
}

// Bounds of the search for the data below a folder given by mistake (its parent, a checkout).
const SEARCH_DEPTH = 3;
const SEARCH_DIRS = 400;
const SKIP = new Set(['node_modules', '.git', '.cache', 'dist']);

/** The folder below `dir` (up to 3 levels) that holds the most of `paths`, if any holds one. */
function dataBelow(dir: string, paths: readonly string[]): string | undefined {
  let best: { dir: string; found: number } | undefined;
  const queue: { dir: string; depth: number }[] = [{ dir, depth: 0 }];
  let visited = 0;
  while (queue.length > 0 && visited < SEARCH_DIRS) {
    const cur = queue.shift()!;
    visited++;
    if (cur.depth > 0) {
      const found = paths.filter((p) => kind(join(cur.dir, p)) === 'file').length;
      if (found > 0 && (best === undefined || found > best.found)) best = { dir: cur.dir, found };
    }
    if (cur.depth >= SEARCH_DEPTH) continue;
    let entries: string[];
    try {
      entries = readdirSync(cur.dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !SKIP.has(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      continue;
    }
    for (const e of entries) queue.push({ dir: join(cur.dir, e), depth: cur.depth + 1 });
  }
  return best?.dir;
}

/** What the folder looks like, and the flag that would fix it when that is clear. */
export function diagnoseDataDir(dir: string, missing: readonly MissingFiles[]): string {
  const k = kind(dir);
  if (k === 'none') return 'the folder does not exist';
  if (k === 'file') return 'it is a file, not a folder';
  const paths = expectedPaths(missing);
  // One task's folder (…/MR given for the data folder): the files are there without their prefix.
  const name = basename(dir).toLowerCase();
  const inside = paths.filter((p) => p.split('/')[0]!.toLowerCase() === name && kind(join(dir, p.split('/').slice(1).join('/'))) === 'file');
  if (inside.length > 0) {
    return `it looks like one task's folder (${inside[0]!.split('/')[0]}/): the data folder is the one above it, --data-dir ${dirname(dir)}`;
  }
  const below = dataBelow(dir, paths);
  if (below !== undefined) return `it looks like a folder above the data: the task files are under ${below}, --data-dir ${below}`;
  let entries = 0;
  try {
    entries = readdirSync(dir).length;
  } catch {
    return 'the folder cannot be read';
  }
  return entries === 0 ? 'the folder is empty' : "the folder exists but holds none of these files in SentEval's data/downstream layout";
}

function whereFrom(loc: DataLocation): string {
  switch (loc.source) {
    case '--data-dir':
      return 'from --data-dir';
    case '$SENTEVAL_DATA':
      return 'from $SENTEVAL_DATA';
    case 'config':
      return `from "dataDir" in ${loc.configFile ?? CONFIG_FILE}`;
    case 'default':
      return `the default ./data: no --data-dir, no $SENTEVAL_DATA, no ${CONFIG_FILE}`;
  }
}

/** How to point the harness at the data, or fill the folder. */
export const DATA_FIX =
  `fix: point --data-dir, $SENTEVAL_DATA or "dataDir" in ./${CONFIG_FILE} at a folder in SentEval's data/downstream layout ` +
  "(MR/, SICK/, STS/, ...), or fill this one with 'gensen-eval data get' (then 'gensen-eval data verify')";

/** The message for missing files: the folder and where it came from, every missing file, the fix. */
export function formatMissingData(loc: DataLocation, missing: readonly MissingFiles[], requested: number): string {
  const others = requested - missing.length;
  // With some tasks' files there, the folder is right and only these tasks need their data.
  const state = others > 0 ? `the other ${others} task${others === 1 ? "'s" : "s'"} files are there` : diagnoseDataDir(loc.dir, missing);
  const lines = [`data missing for ${missing.length} of ${requested} task${requested === 1 ? '' : 's'} in ${loc.dir} (${whereFrom(loc)}); ${state}`];
  const w = Math.max(...missing.map((m) => m.task.length));
  for (const m of missing) lines.push(`  ${m.task.padEnd(w)}  ${m.files.join(', ')}`);
  const ids = missing.map((m) => m.task).join(',');
  lines.push(
    others > 0
      ? `fix: 'gensen-eval data get --tasks ${ids}' fetches what can be downloaded (README's Data section says how to get the rest), or leave these tasks out of --tasks`
      : DATA_FIX,
  );
  return lines.join('\n');
}

/** Refuses, in one message, a run whose tasks miss any file in the data folder. */
export function assertTaskData(defs: readonly TaskDefinition[], loc: DataLocation, opts: PresenceOptions = {}): void {
  const missing = missingTaskFiles(defs, loc.dir, opts);
  if (missing.length > 0) throw new UserError(formatMissingData(loc, missing, defs.length));
}
