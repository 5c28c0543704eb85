#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './cli/commands.js';
import { UserError } from './util/errors.js';
import { redactSecrets } from './util/redact.js';

// A reader that stops early (`| head -1`) closes the pipe: that is not an error, so stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

const cli = yargs(hideBin(process.argv))
  .scriptName('gensen-eval')
  .usage('$0 <command> [options]')
  .demandCommand(1, 'Name a command: see --help.')
  .strict()
  .recommendCommands()
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg, err, y) => {
    if (err) throw err;
    process.stderr.write(`gensen-eval: ${redactSecrets(msg)}\nRun 'gensen-eval --help' for usage.\n`);
    void y;
    process.exit(2);
  });
for (const c of commands) cli.command(c);
try {
  await cli.parseAsync();
} catch (e) {
  // A mistake met while building a command (e.g. in the project config file) is the user's: one line.
  if (e instanceof UserError) {
    process.stderr.write(`gensen-eval: ${redactSecrets(e.message)}\n`);
    process.exitCode = e.exitCode;
  } else {
    // Everything a user or the environment can cause is reported by runCommand in one line; what
    // arrives here is a bug in gensen-eval, and the stack trace is what a report needs.
    process.stderr.write(
      `gensen-eval: internal error (a bug in gensen-eval, not in your input; please report it with the command line):\n` +
        `${redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`,
    );
    process.exitCode = 70;
  }
}
