/**
 * Presence and checksum checks of a data folder against tasks/checksums/SHA256SUMS.
 */
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, systemReason } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { splitFileGroups, type TaskDefinition } from './definition.js';
import { findFile } from './load.js';
import { packageRoot } from '../util/package-info.js';

/** Parses `sha256sum` output: `<64 hex>  [./]path` (or ` *path`), `#` comments and blank lines skipped. */
export function parseSha256Sums(text: string, where: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (m === null) throw new UserError(`${where}:${i + 1}: expected "<sha256 hex>  <path>"`);
    out.set(m[2].replace(/^\.\//, ''), m[1].toLowerCase());
  });
  return out;
}

let reference: Map<string, string> | undefined;

/** The committed reference checksums (path relative to the data folder → hex). */
export function referenceChecksums(): Map<string, string> {
  if (reference === undefined) {
    const where = join(packageRoot(), 'tasks', 'checksums', 'SHA256SUMS');
    reference = parseSha256Sums(readFileSync(where, 'utf8'), where);
  }
  return reference;
}

export type FileState = 'ok' | 'missing' | 'mismatch' | 'unreadable' | 'unchecked' | 'skipped';

export interface FileStatus {
  /** The file found, or the alternatives looked for (joined with " or ") when missing. */
  readonly path: string;
  readonly state: FileState;
  readonly expected?: string;
  readonly actual?: string;
  readonly hint?: string;
}

export interface TaskDataStatus {
  readonly task: string;
  /** True when every needed file is present and no checksum mismatches. */
  readonly ok: boolean;
  readonly files: FileStatus[];
}

export interface VerifyOptions {
  /** Tasks with a devAsTrain spec (Quora) need no training file (see LoadOptions.devAsTrain). */
  readonly devAsTrain?: boolean;
  readonly checksums?: ReadonlyMap<string, string>;
}

export async function verifyTaskData(def: TaskDefinition, dataDir: string, opts: VerifyOptions = {}): Promise<TaskDataStatus> {
  const sums = opts.checksums ?? referenceChecksums();
  const files: FileStatus[] = [];
  const seen = new Set<string>();
  for (const [split, src] of Object.entries(def.splits)) {
    for (const alts of splitFileGroups(def, src)) {
      const key = alts.join(' or ');
      if (seen.has(key)) continue;
      seen.add(key);
      if (split === 'train' && def.devAsTrain !== undefined && opts.devAsTrain === true) {
        files.push({ path: key, state: 'skipped', hint: `not needed with ${def.devAsTrain.flag}` });
        continue;
      }
      const rel = findFile(dataDir, alts);
      if (rel === undefined) {
        const hint = split === 'train' && def.devAsTrain !== undefined ? `or pass ${def.devAsTrain.flag}` : undefined;
        files.push({ path: key, state: 'missing', hint });
        continue;
      }
      const unreadable = readProblem(join(dataDir, rel));
      if (unreadable !== undefined) {
        files.push({ path: rel, state: 'unreadable', hint: unreadable });
        continue;
      }
      const expected = sums.get(rel);
      if (expected === undefined) {
        files.push({ path: rel, state: 'unchecked' });
        continue;
      }
      let actual: string;
      try {
        actual = await sha256File(join(dataDir, rel));
      } catch (e) {
        files.push({ path: rel, state: 'unreadable', hint: systemReason(e) });
        continue;
      }
      files.push({ path: rel, state: actual === expected ? 'ok' : 'mismatch', expected, actual });
    }
  }
  return { task: def.id, ok: files.every((f) => f.state !== 'missing' && f.state !== 'mismatch' && f.state !== 'unreadable'), files };
}

/** Why a present data file cannot be read (a directory, no permission), or undefined. */
function readProblem(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return systemReason({ code: 'EISDIR' });
    closeSync(openSync(path, 'r'));
    return undefined;
  } catch (e) {
    return systemReason(e);
  }
}

/** One line per task for the terminal. */
export function formatStatus(s: TaskDataStatus): string {
  const bad = s.files.filter((f) => f.state === 'missing' || f.state === 'mismatch' || f.state === 'unreadable');
  const unchecked = s.files.filter((f) => f.state === 'unchecked').length;
  const id = s.task.padEnd(9);
  if (bad.length === 0) {
    const present = s.files.filter((f) => f.state !== 'skipped').length;
    const extra = unchecked > 0 ? `, ${unchecked} without a reference checksum` : '';
    const skipped = s.files
      .filter((f) => f.state === 'skipped')
      .map((f) => `; ${f.path} ${f.hint ?? 'skipped'}`)
      .join('');
    return `${id} ok        ${present} file${present === 1 ? '' : 's'} present, checksums ${unchecked === present ? 'unknown' : 'match'}${extra}${skipped}`;
  }
  const missing = bad.filter((f) => f.state === 'missing');
  const mismatch = bad.filter((f) => f.state === 'mismatch');
  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(`missing ${missing.map((f) => (f.hint ? `${f.path} (${f.hint})` : f.path)).join(', ')}`);
  }
  if (mismatch.length > 0) parts.push(`checksum mismatch ${mismatch.map((f) => f.path).join(', ')}`);
  const unreadable = bad.filter((f) => f.state === 'unreadable');
  if (unreadable.length > 0) parts.push(`unreadable ${unreadable.map((f) => `${f.path} (${f.hint ?? 'cannot read'})`).join(', ')}`);
  const word = missing.length > 0 ? 'missing' : mismatch.length > 0 ? 'mismatch' : 'unreadable';
  return `${id} ${word.padEnd(9)} ${parts.join('; ')}`;
}
