#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './cli/commands.js';
import { UserError } from './util/errors.js';
import { didYouMean } from './util/did-you-mean.js';
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
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`gensen-eval: ${withFlagSuggestions(redactSecrets(msg), cli)}\nRun 'gensen-eval --help' for usage.\n`);
    process.exit(2);
  });

/** yargs' "Unknown argument: confg" with the closest declared flags of the command, if any is close. */
function withFlagSuggestions(msg: string, y: unknown): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (m === null) return msg;
  // yargs' record of the declared options (not in its type declarations).
  const keys = Object.keys((y as { getOptions(): { key: Record<string, boolean> } }).getOptions().key);
  const flags = keys.filter((k) => k !== '$0' && !/[A-Z]/.test(k));
  const args = m[1]!.split(', ').map((arg) => `${arg}${didYouMean(arg.replace(/^-+/, '').replace(/=.*$/, ''), flags, (f) => `--${f}`)}`);
  return `${msg.slice(0, msg.length - m[1]!.length)}${args.join(', ')}`;
}
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
