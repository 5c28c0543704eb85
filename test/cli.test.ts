import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/data.js';
import { runCli } from './helpers/cli.js';

test('the package bin is executable after a build (npx gensen-eval runs it directly)', (t) => {
  if (!import.meta.url.endsWith('.js')) {
    t.skip('only meaningful for the compiled build');
    return;
  }
  const mode = statSync(join(repoRoot(), 'dist', 'src', 'cli.js')).mode;
  assert.ok((mode & 0o111) !== 0, `dist/src/cli.js mode ${mode.toString(8)} is not executable`);
});

test('--help lists every command; an unknown command is a one-line error', () => {
  const help = runCli(['--help']);
  assert.equal(help.status, 0);
  for (const c of ['evaluate', 'encode', 'data', 'leaderboard', 'check', 'compare']) assert.match(help.stdout, new RegExp(`gensen-eval ${c}`));
  const bad = runCli(['evaluat']);
  assert.notEqual(bad.status, 0);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});
