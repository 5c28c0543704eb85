import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../src/results/schema.js';
import { repoRoot } from './helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-cfg-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtureData = join(repoRoot(), 'test', 'fixtures', 'tasks', 'data');

/** The CLI run from `cwd` (where the project config is looked for), without the test's data/cache env. */
function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.SENTEVAL_DATA;
  delete base.GENSEN_EVAL_CACHE;
  const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'src', 'cli.js'), ...args], { cwd, encoding: 'utf8', env: { ...base, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('gensen-eval.config.json: data dir, cache dir, default tasks and evaluate defaults; flags and env still win', () => {
  const dir = join(tmp, 'proj');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'gensen-eval.config.json'),
    JSON.stringify({ dataDir: fixtureData, cacheDir: 'cache', tasks: ['SNLI'], evaluate: { config: 'fast', progress: false } }),
  );
  const c = cli(dir, ['config']);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`data dir: +${fixtureData.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  \\(from .*gensen-eval\\.config\\.json\\)`));
  assert.match(c.stdout, new RegExp(`cache dir: +${join(dir, 'cache').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  \\(from `));
  assert.match(c.stdout, /tasks: +SNLI {2}\(from /);
  assert.match(c.stdout, /evaluate defaults:\n {2}config: "fast"\n {2}progress: false/);
  const ev = cli(dir, ['evaluate', '--out', 'r.json']);
  assert.equal(ev.status, 0, ev.stderr);
  const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as RunResults;
  assert.deepEqual(Object.keys(r.tasks), ['SNLI']);
  assert.equal(r.protocol.config, 'fast');
  assert.equal(r.environment?.dataDir, fixtureData);
  assert.equal(ev.stderr, ''); // progress: false from the config
  // The command line beats the config; the environment beats the config's data dir.
  const flag = cli(dir, ['evaluate', '--tasks', 'Quora', '--config', 'paper', '--out', 'q.json']);
  assert.equal(flag.status, 0, flag.stderr);
  const q = JSON.parse(readFileSync(join(dir, 'q.json'), 'utf8')) as RunResults;
  assert.deepEqual(Object.keys(q.tasks), ['Quora']);
  assert.equal(q.protocol.config, 'paper');
  const env = cli(dir, ['config', '--json'], { SENTEVAL_DATA: '/somewhere/else' });
  const doc = JSON.parse(env.stdout) as { dataDir: { value: string; from: string }; cacheDir: { from: string } };
  assert.deepEqual(doc.dataDir, { value: '/somewhere/else', from: '$SENTEVAL_DATA' });
  assert.match(doc.cacheDir.from, /gensen-eval\.config\.json$/);
});

test('package.json "gensen-eval" key; no config at all; mistakes in the file are one line naming it', () => {
  const pkg = join(tmp, 'pkg');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'x', 'gensen-eval': { dataDir: 'data-here', tasks: 'MR,CR' } }));
  const p = cli(pkg, ['config', '--json']);
  assert.equal(p.status, 0, p.stderr);
  const doc = JSON.parse(p.stdout) as { configFile: string; dataDir: { value: string }; tasks: { value: string } };
  assert.match(doc.configFile, /package\.json#gensen-eval$/);
  assert.equal(doc.dataDir.value, join(pkg, 'data-here'));
  assert.equal(doc.tasks.value, 'MR,CR');
  const none = join(tmp, 'none');
  mkdirSync(none);
  const n = cli(none, ['config']);
  assert.match(n.stdout, /config file: none \(looked for \.\/gensen-eval\.config\.json/);
  assert.match(n.stdout, /data dir: +.*\/none\/data {2}\(from default\)/);
  const bad = join(tmp, 'bad');
  mkdirSync(bad);
  for (const [doc, why] of [
    ['{"datadir": "x"}', /unknown key 'datadir' \(expected dataDir, cacheDir, tasks, evaluate, encode\)/],
    ['{"evaluate": {"bogus": 1}}', /'evaluate\.bogus' is not an option of gensen-eval evaluate/],
    ['{"dataDir": 3}', /'dataDir' must be a non-empty string/],
    ['{not json', /not valid JSON/],
  ] as const) {
    writeFileSync(join(bad, 'gensen-eval.config.json'), doc);
    const r = cli(bad, ['evaluate', '--out', 'x.json']);
    assert.equal(r.status, 2, doc);
    assert.match(r.stderr, /^gensen-eval: .*gensen-eval\.config\.json: /, doc);
    assert.match(r.stderr, why, doc);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
