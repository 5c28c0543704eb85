import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-disc-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('gensen-eval tasks: ids, aliases, protocol, metric, and each file present or missing', () => {
  const data = join(repoRoot(), 'test', 'fixtures', 'tasks', 'data');
  const r = runCli(['tasks', '--data-dir', data]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^data folder: ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(from --data-dir\\)\n`));
  assert.match(r.stdout, /\nSICK-R\s+SICKRelatedness, [^\n]*\s+relatedness\s+pearson\s+missing 3 of 3\n/);
  assert.match(r.stdout, /\nSNLI\s+StanfordNLI\s+split\s+acc\s+present\n/);
  // Per-file lines only with --files (a wrong folder would otherwise print one per file of every task).
  assert.doesNotMatch(r.stdout, /MISSING/);
  const f = runCli(['tasks', '--data-dir', data, '--files']);
  assert.match(f.stdout, /\n {2}SNLI\s+present\s+SNLI\/s1\.train\n/);
  assert.match(f.stdout, /\n {2}MR\s+MISSING\s+MR\/rt-polarity\.pos\n/);
  const j = runCli(['tasks', '--data-dir', data, '--tasks', 'SNLI,MR', '--json']);
  const doc = JSON.parse(j.stdout) as {
    tasks: { id: string; present: boolean; protocol: string; aliases: string[]; files: { path: string; present: boolean }[] }[];
  };
  assert.deepEqual(
    doc.tasks.map((t) => [t.id, t.present, t.protocol]),
    [
      ['SNLI', true, 'split'],
      ['MR', false, 'inner-kfold'],
    ],
  );
  assert.ok(doc.tasks[1]!.aliases.includes('MovieReview'));
  assert.equal(doc.tasks[0]!.files.length, 9);
});

test('gensen-eval cache info groups the feature cache by encoder; cache clear empties it', () => {
  const dir = join(tmp, 'cache');
  const env = { GENSEN_EVAL_CACHE: dir };
  const none = runCli(['cache', 'info'], env);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /does not exist: nothing cached/);
  // A real run fills it (bow on the SNLI fixture), then two hand-made entries of another encoder.
  const ev = runCli(
    [
      'evaluate',
      '--data-dir',
      join(repoRoot(), 'test', 'fixtures', 'tasks', 'data'),
      '--tasks',
      'SNLI',
      '--config',
      'fast',
      '--no-progress',
      '--out',
      join(tmp, 'r.json'),
    ],
    env,
  );
  assert.equal(ev.status, 0, ev.stderr);
  const bow = readdirSync(join(dir, 'features'));
  assert.ok(bow.length > 0 && bow.every((f) => /^bow-100d-[0-9a-f]{8}\.[0-9a-f]{64}\.store$/.test(f)), bow.join(' '));
  mkdirSync(join(dir, 'features'), { recursive: true });
  writeFileSync(join(dir, 'features', `gensen-4096d-0123abcd.${'a'.repeat(64)}.store`), Buffer.alloc(2048));
  writeFileSync(join(dir, 'features', `gensen-4096d-0123abcd.${'b'.repeat(64)}.store`), Buffer.alloc(1024));
  const info = runCli(['cache', 'info'], env);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /\nfeatures: gensen-4096d-0123abcd\s+2\s+3\.0 KiB\n/);
  assert.match(info.stdout, new RegExp(`\\nfeatures: bow-100d-[0-9a-f]{8}\\s+${bow.length}\\s`));
  assert.match(info.stdout, /\ntotal\s+\d+\s+/);
  const clear = runCli(['cache', 'clear'], env);
  assert.equal(clear.status, 0, clear.stderr);
  assert.match(clear.stdout, /^removed \d+ files \(.*\) from /);
  assert.deepEqual(readdirSync(dir), []);
  const bad = runCli(['cache'], env);
  assert.notEqual(bad.status, 0);
});
