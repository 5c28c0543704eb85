/**
 * A mistake the user can fix (bad flag, missing or malformed file). The CLI prints only the
 * message, on one line, and exits non-zero; anything else is a bug and keeps its stack trace.
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
