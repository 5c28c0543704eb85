#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './cli/commands.js';
import { UserError } from './util/errors.js';

const cli = yargs(hideBin(process.argv))
  .scriptName('gensen-eval')
  .usage('$0 <command> [options]')
  .demandCommand(1, 'Name a command: see --help.')
  .strict()
  .recommendCommands()
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg, err, y) => {
    if (err) throw err;
    process.stderr.write(`gensen-eval: ${msg}\nRun 'gensen-eval --help' for usage.\n`);
    void y;
    process.exit(2);
  });
for (const c of commands) cli.command(c);
try {
  await cli.parseAsync();
} catch (e) {
  // A mistake met while building a command (e.g. in the project config file) is the user's: one line.
  if (!(e instanceof UserError)) throw e;
  process.stderr.write(`gensen-eval: ${e.message}\n`);
  process.exitCode = e.exitCode;
}
