/**
 * Checks an output path before any work is done, so that a run never computes for an hour and then
 * fails to save: not a directory, under a directory (or a place where one can be made), writable.
 */
import { closeSync, openSync, rmSync, type Stats, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemReason, UserError } from './errors.js';

/** Every command that writes a file refuses to replace one unless told to (`--force`). */
export function refuseExistingOut(path: string, force: boolean, flag = '--out'): void {
  if (force) return;
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (st.isDirectory()) throw new UserError(`${flag} ${path}: is a directory; name a file`);
  throw new UserError(`${flag} ${path} exists: pass --force to overwrite it, or another ${flag}`);
}

export function assertWritableOutput(path: string, flag = '--out'): void {
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw new UserError(`${flag} ${path}: is a directory; name a file`);
  // The nearest existing ancestor is where the folders (if any) and the file will be created.
  let dir = dirname(path);
  for (;;) {
    let ds: Stats | undefined;
    try {
      ds = statSync(dir);
    } catch {
      ds = undefined;
    }
    if (ds) {
      if (!ds.isDirectory()) throw new UserError(`${flag} ${path}: ${dir} is a file, not a folder`);
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // access(W_OK) says yes to root even on a read-only mount: try creating a file instead.
  const probe = join(dir, `.gensen-eval-write-test.${process.pid}.${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new UserError(`${flag} ${path}: cannot write in ${dir} (${systemReason(e)})`);
  } finally {
    rmSync(probe, { force: true });
  }
}
