import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { fileError } from './errors.js';
import { checkWriteFault } from './fault-injection.js';

/** The sibling temp file a write of `path` goes through: `.<name>.<pid>.<ms>.tmp`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/**
 * The file a temp name was written for and the pid that wrote it, or undefined for any other name.
 * A killed writer (SIGKILL, power loss) leaves its temp file behind; the pid tells a sweep whether
 * the writer is gone.
 */
export function parseTempName(name: string): { target: string; pid: number } | undefined {
  const m = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/.exec(name);
  return m ? { target: m[1]!, pid: Number(m[2]) } : undefined;
}

/**
 * Write a file so that readers see either the old or the whole new content, never a half-written
 * one: write a sibling temp file, then rename over the target (atomic on POSIX file systems).
 * Failures (full disk, no permission) are a UserError naming the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    checkWriteFault(path);
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw fileError(path, 'write', e);
  }
}

/**
 * Removes a file if it is there; a path that cannot hold it (a parent is a file: ENOTDIR) has
 * nothing to remove, and cleanup must never mask the error being reported.
 */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing removable there
  }
}
