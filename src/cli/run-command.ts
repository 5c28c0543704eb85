import { describeSystemError, isSystemError, UserError } from '../util/errors.js';
import { redactSecrets } from '../util/redact.js';

/**
 * Wraps a command handler so that user mistakes and environment faults (a full disk, an unreadable
 * file) print one line and exit non-zero, while bugs keep their stack trace (src/cli.ts labels it).
 */
export function runCommand<A>(fn: (args: A) => Promise<number | undefined>): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      const code = await fn(args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      if (e instanceof UserError) {
        process.stderr.write(`gensen-eval: ${redactSecrets(e.message)}\n`);
        process.exitCode = e.exitCode;
        return;
      }
      if (isSystemError(e)) {
        process.stderr.write(`gensen-eval: ${redactSecrets(describeSystemError(e))}\n`);
        process.exitCode = 2;
        return;
      }
      throw e;
    }
  };
}
