/**
 * An exclusive lock on an output file (`<file>.lock`, holding the owner's pid and host), so that
 * two runs writing the same results file cannot silently drop each other's tasks. A lock whose
 * process is gone (killed, crashed) is taken over; the lock is released when the process exits.
 */
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { fileError, UserError } from './errors.js';

interface LockInfo {
  pid: number;
  host: string;
}

/** Whether a process of this host still runs under `pid`. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return { pid: v.pid, host: v.host };
  } catch {
    // unreadable or half-written: treated as stale below
  }
  return undefined;
}

export interface FileLock {
  readonly path: string;
  /** A stale lock of a dead process was taken over (worth telling the user). */
  readonly tookOverFrom?: number;
  release(): void;
}

/** Takes `<target>.lock` or throws a UserError naming the process that holds it. */
export function lockOutput(target: string): FileLock {
  const path = `${target}.lock`;
  const me: LockInfo = { pid: process.pid, host: hostname() };
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.off('exit', release);
        // Only our own lock: a lock file replaced by someone else stays.
        if (readLock(path)?.pid === me.pid) rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { path, release, ...(tookOverFrom !== undefined ? { tookOverFrom } : {}) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(path, 'create the lock file', e);
    }
    // Only a lock file is ever taken over: a folder (or anything else) in its place is the user's.
    let kind: Stats | undefined;
    try {
      kind = lstatSync(path);
    } catch {
      kind = undefined; // released meanwhile: try again
    }
    if (kind && !kind.isFile()) {
      throw new UserError(
        `${path} is ${kind.isDirectory() ? 'a folder' : 'not a file'}, not a lock file of gensen-eval: remove it, or choose another output file`,
      );
    }
    const owner = readLock(path);
    if (owner && owner.host !== me.host) {
      throw new UserError(`${target} is locked by process ${owner.pid} on ${owner.host} (${path}); wait for that run, or remove the lock file if it is gone`);
    }
    if (owner && owner.pid !== me.pid && processAlive(owner.pid)) {
      throw new UserError(`${target} is being written by another gensen-eval run (pid ${owner.pid}); wait for it to finish, or choose another --out`);
    }
    tookOverFrom = owner?.pid ?? -1;
    rmSync(path, { force: true });
  }
  throw new UserError(`${target}: cannot take the lock ${path} (another run keeps taking it)`);
}
