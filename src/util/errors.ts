/**
 * A mistake the user can fix (bad flag, missing or malformed file) or a fault of the environment
 * (full disk, unreadable file). The CLI prints only the message, on one line, and exits non-zero;
 * anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** Error for a malformed line of a data file: names file and 1-based line. */
export function lineError(file: string, line: number, expected: string): UserError {
  return new UserError(`${file}:${line}: ${expected}`);
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EFBIG: 'file too large',
  ELOOP: 'too many symbolic links',
  EBUSY: 'resource busy',
  EXDEV: 'cross-device link',
};

/** An error from a system call (fs, net): it carries an errno code such as ENOSPC. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** 'no space left on device (ENOSPC)', or the error's own message for codes without a text. */
export function systemReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `${REASONS[code] ?? code.toLowerCase()} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

/** One line for a failed file operation: `<path>: cannot <action> (<reason>)`. */
export function fileError(path: string, action: string, e: unknown): UserError {
  return new UserError(`${path}: cannot ${action} (${systemReason(e)})`);
}

/** A system error that no code path turned into a UserError yet: still one line, naming the file. */
export function describeSystemError(e: NodeJS.ErrnoException): string {
  const where = e.path ?? (e as { dest?: string }).dest;
  const op = e.syscall ? ` (${e.syscall})` : '';
  return where ? `${where}: ${systemReason(e)}${op}` : `${systemReason(e)}${op}`;
}
