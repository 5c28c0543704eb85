import yargs from 'yargs';
import type { CommandModule } from 'yargs';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one command module in-process the way src/cli.ts does (strict yargs, runCommand's exit
 * codes), capturing stdout, stderr and the exit code.
 */
export async function runCli<A>(cmd: CommandModule<object, A>, argv: string[]): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const saved = process.exitCode;
  process.exitCode = 0;
  process.stdout.write = ((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  let code = 0;
  try {
    await yargs(argv)
      .command(cmd)
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        if (err) throw err;
        stderr += `usage: ${msg}\n`;
        process.exitCode = 2;
      })
      .parseAsync();
    code = Number(process.exitCode ?? 0);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = saved;
  }
  return { code, stdout, stderr };
}
