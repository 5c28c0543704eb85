import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CliResult } from './cli.js';
import { repoRoot } from './data.js';

/** As runCli, without blocking this process's event loop (for tests that serve the CLI themselves). */
export function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const compiled = import.meta.url.endsWith('.js');
  const root = repoRoot();
  const argv = compiled ? [join(root, 'dist', 'src', 'cli.js')] : ['--import', 'tsx', join(root, 'src', 'cli.ts')];
  const child = spawn(process.execPath, [...argv, ...args], { env: { ...process.env, ...env }, cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}
