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

test('--help examples never wrap mid-command: ≤ 78 columns, continued with \\, and their flags exist', () => {
  for (const cmd of [[], ['evaluate'], ['encode'], ['merge'], ['leaderboard'], ['check'], ['compare'], ['data', 'get'], ['data', 'verify']]) {
    const r = runCli([...cmd, '--help']);
    assert.equal(r.status, 0, `${cmd.join(' ')}: ${r.stderr}`);
    const at = r.stdout.indexOf('\nExamples:');
    if (at < 0) continue;
    const lines = r.stdout
      .slice(at + 1)
      .trimEnd()
      .split('\n')
      .slice(1);
    let open = false;
    let command = '';
    for (const line of lines) {
      assert.ok(line.length <= 78, `${cmd.join(' ')}: example line of ${line.length} columns: ${line}`);
      if (open) assert.match(line, /^ {6}\S/, `continuation line expected after a \\: ${line}`);
      else if (line.trim() !== '' && !line.startsWith('  # ')) assert.match(line, /^ {2}gensen-eval /, `an example starts with the program: ${line}`);
      if (open || line.startsWith('  gensen-eval ')) command += ' ' + line.replace(/\\$/, '').trim();
      open = line.endsWith(' \\');
      if (!open && command) {
        for (const flag of command.split(/\s+/).filter((w) => w.startsWith('--'))) {
          assert.ok(
            r.stdout.includes(`  ${flag.replace(/=.*/, '')} `) || r.stdout.includes(`  ${flag.replace(/=.*/, '')}\n`),
            `${cmd.join(' ')}: example flag ${flag} is not an option`,
          );
        }
        command = '';
      }
    }
    assert.equal(open, false);
  }
});

test('--config help says what each preset sets and each override its default', () => {
  const r = runCli(['evaluate', '--help']);
  const flat = r.stdout.replace(/\s+/g, ' ');
  assert.match(flat, /paper: kfold 10, optim adam, batch 64, tenacity 5, epoch-size 4/);
  assert.match(flat, /fast: kfold 5, optim rmsprop, batch 128, tenacity 3, epoch-size 2/);
  assert.match(flat, /gensen: kfold 10, .* loss sum, relatedness early stop pearson/);
  assert.match(flat, /SICK-R and STS-B ignore the classifier settings/);
  assert.match(flat, /--kfold Override: folds \(default paper 10, fast 5, gensen 10\)/);
  assert.match(flat, /--max-epoch Override: maximum epochs \(default 200\)/);
  assert.match(flat, /--loss-reduction Override: minibatch loss reduction \(default paper mean, fast mean, gensen sum\)/);
});
