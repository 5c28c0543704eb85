import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './data.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The node arguments that start the CLI: compiled (dist) when the tests are compiled, through tsx otherwise. */
export function cliArgv(): string[] {
  const compiled = import.meta.url.endsWith('.js');
  const root = repoRoot();
  return compiled ? [join(root, 'dist', 'src', 'cli.js')] : ['--import', 'tsx', join(root, 'src', 'cli.ts')];
}

/** Starts the CLI without waiting (for signals and concurrent runs); output is collected. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...cliArgv(), ...args], { env: { ...process.env, ...env }, cwd: repoRoot() });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, done };
}

/** Runs the CLI as a user would: compiled (dist) when the tests are compiled, through tsx otherwise. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const root = repoRoot();
  const argv = cliArgv();
  const r = spawnSync(process.execPath, [...argv, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: root,
    maxBuffer: 1 << 26,
    // A hung command must fail its test, not stall the suite.
    timeout: 600_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exactly one line on stderr (the error), no stack trace, the expected exit code. */
export function assertOneLine(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.status, code, `exit ${r.status}, expected ${code}; stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, 'no stack trace');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
}
