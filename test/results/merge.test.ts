import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeResults } from '../../src/results/merge.js';
import { readPredictions } from '../../src/results/predictions.js';
import { readResultsFile } from '../../src/results/read.js';
import type { LoadedResults } from '../../src/results/read.js';
import type { RunResults } from '../../src/results/schema.js';
import { parseShard, shardTasks } from '../../src/results/shard.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { UserError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/data.js';
import { load } from '../report/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-merge-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtureData = join(repoRoot(), 'test', 'fixtures', 'tasks', 'data');

test('--shard K/N: every N-th task from the K-th, in --tasks order; bad specs are one line', () => {
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  for (const bad of ['0/4', '5/4', '2', '1/0', 'a/b', '-1/2']) {
    assert.throws(
      () => parseShard(bad),
      (e: unknown) => e instanceof UserError && /--shard: expected K\/N with 1 ≤ K ≤ N/.test(e.message),
      bad,
    );
  }
  const defs = resolveTasks('MR,CR,SUBJ,MPQA,SST2,TREC,MRPC');
  const parts = [1, 2, 3].map((k) => shardTasks(defs, { index: k, count: 3 }));
  assert.deepEqual(
    parts.map((p) => p.tasks.map((d) => d.id)),
    [
      ['MR', 'MPQA', 'MRPC'],
      ['CR', 'SST2'],
      ['SUBJ', 'TREC'],
    ],
  );
  assert.deepEqual(parts[1]!.shard, { index: 2, count: 3, of: ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC'] });
  // Together the shards are the list, each task once.
  assert.deepEqual(parts.flatMap((p) => p.tasks.map((d) => d.id)).sort(), defs.map((d) => d.id).sort());
  assert.throws(
    () => shardTasks(defs.slice(0, 2), { index: 1, count: 3 }),
    (e: unknown) => e instanceof UserError && /only 2 task\(s\) to split/.test(e.message),
  );
});

test('evaluate --shard 1/2 and 2/2, then merge: the same numbers as one unsharded run; sidecars still found', () => {
  const env = { GENSEN_EVAL_CACHE: join(tmp, 'cache') };
  const common = ['evaluate', '--data-dir', fixtureData, '--tasks', 'SNLI,Quora', '--config', 'fast', '--no-progress', '--save-predictions'];
  mkdirSync(join(tmp, 'jobs'));
  for (const k of [1, 2]) {
    const r = runCli([...common, '--shard', `${k}/2`, '--out', join(tmp, 'jobs', `shard-${k}.json`)], env);
    assert.equal(r.status, 0, r.stderr);
  }
  const full = runCli([...common, '--out', join(tmp, 'full.json')], env);
  assert.equal(full.status, 0, full.stderr);
  const s1 = JSON.parse(readFileSync(join(tmp, 'jobs', 'shard-1.json'), 'utf8')) as RunResults;
  assert.deepEqual(Object.keys(s1.tasks), ['SNLI']);
  assert.deepEqual(s1.shard, { index: 1, count: 2, of: ['SNLI', 'Quora'] });

  mkdirSync(join(tmp, 'merged'));
  const out = join(tmp, 'merged', 'all.json');
  // Given in the "wrong" order: the merged file follows the shards' task list.
  const m = runCli(['merge', join(tmp, 'jobs', 'shard-2.json'), join(tmp, 'jobs', 'shard-1.json'), '--out', out]);
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /merged 2 files, 2 tasks \(SNLI, Quora\)/);
  assert.equal(m.stderr, '');
  const merged = readResultsFile(out).results;
  const one = readResultsFile(join(tmp, 'full.json')).results;
  assert.deepEqual(Object.keys(merged.tasks), ['SNLI', 'Quora']);
  assert.equal(merged.protocolFingerprint, one.protocolFingerprint);
  assert.equal(merged.shard, undefined);
  assert.deepEqual(merged.mergedFrom, ['../jobs/shard-2.json', '../jobs/shard-1.json']);
  for (const id of ['SNLI', 'Quora']) {
    assert.deepEqual(merged.tasks[id]!.metrics, one.tasks[id]!.metrics, id);
    assert.equal(merged.tasks[id]!.fingerprint, one.tasks[id]!.fingerprint, id);
    // The sidecar was copied beside the merged file (readers only follow sidecars inside a results
    // file's folder) and reads back as the shard's own.
    assert.equal(merged.tasks[id]!.predictionsFile, `all.predictions/${id}.json`);
    const p = readPredictions(out, merged.tasks[id]!.predictionsFile!);
    assert.equal(p.gold.length, one.tasks[id]!.samples.test);
    const shard = join(tmp, 'jobs', `shard-${id === 'SNLI' ? 1 : 2}.json`);
    assert.deepEqual(p, readPredictions(shard, readResultsFile(shard).results.tasks[id]!.predictionsFile!));
  }
  // The merged file is a results file like any other: the leaderboard and check read it.
  const lb = runCli(['leaderboard', out]);
  assert.equal(lb.status, 0, lb.stderr);
  const again = runCli(['merge', join(tmp, 'jobs', 'shard-1.json'), join(tmp, 'jobs', 'shard-2.json'), '--out', out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists: pass --force/);
  // A missing shard is said, not silently accepted as the whole run.
  const half = runCli(['merge', join(tmp, 'jobs', 'shard-1.json'), join(tmp, 'jobs', 'shard-1.json'), '--out', join(tmp, 'half.json')]);
  assert.equal(half.status, 0, half.stderr);
  assert.match(half.stderr, /warning: shard\(s\) 2\/2 missing: the merged file lacks Quora/);
});

function withTasks(lr: LoadedResults, keep: readonly string[], path: string): LoadedResults {
  const tasks = Object.fromEntries(Object.entries(lr.results.tasks).filter(([k]) => keep.includes(k)));
  return { ...lr, path, results: { ...lr.results, tasks } };
}

test('merge refuses files measured differently: protocol, encoder, seeds, two records of one task', () => {
  const out = join(tmp, 'x.json');
  const base = load('base.json');
  assert.throws(
    () => mergeResults([withTasks(base, ['MR'], 'a.json'), withTasks(load('fast.json'), ['CR'], 'b.json')], out),
    (e: unknown) => e instanceof UserError && /b\.json was measured under another protocol than a\.json \(.*kfold: 10 vs 5/.test(e.message),
  );
  assert.throws(
    () => mergeResults([withTasks(base, ['MR'], 'a.json'), withTasks(load('borep.json'), ['CR'], 'b.json')], out),
    (e: unknown) => e instanceof UserError && /b\.json is encoder borep .* but a\.json is bow/.test(e.message),
  );
  assert.throws(
    () => mergeResults([withTasks(base, ['MR'], 'a.json'), withTasks(load('seeds.json'), ['SST2'], 'b.json')], out),
    (e: unknown) => e instanceof UserError && /used seeds \[1111,1112,1113\] but a\.json \[1111\]/.test(e.message),
  );
  const other = withTasks(load('other-data.json'), ['SST2'], 'b.json');
  assert.throws(
    () => mergeResults([withTasks(base, ['SST2'], 'a.json'), other], out),
    (e: unknown) => e instanceof UserError && /task SST2 is in both a\.json and b\.json with different results/.test(e.message),
  );
  assert.throws(
    () => mergeResults([base], out),
    (e: unknown) => e instanceof UserError && /at least two/.test(e.message),
  );
  // Disjoint parts of one run merge in file order.
  const ok = mergeResults([withTasks(base, ['TREC', 'MR'], 'a.json'), withTasks(base, ['CR'], 'b.json')], out);
  assert.deepEqual(Object.keys(ok.results.tasks), ['MR', 'TREC', 'CR']);
  assert.deepEqual(ok.warnings, []);
});

test('docs/ci-matrix-example.yml: its matrix matches its --shard N, and every gensen-eval flag it uses exists', () => {
  const yml = readFileSync(join(repoRoot(), 'docs', 'ci-matrix-example.yml'), 'utf8');
  const matrix = /shard: \[([\d, ]+)\]/
    .exec(yml)![1]!
    .split(',')
    .map((s) => Number(s.trim()));
  const n = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(yml)![1]);
  assert.deepEqual(
    matrix,
    Array.from({ length: n }, (_, i) => i + 1),
  );
  // Each `npx gensen-eval <command> ...` (with its continuation lines): its flags are in its --help.
  const calls = yml.replace(/\\\n\s*/g, ' ').match(/npx gensen-eval [^\n|>&]+/g)!;
  assert.ok(calls.some((c) => c.includes(' merge ')));
  const help = new Map<string, string>();
  for (const call of calls) {
    const words = call.replace('npx gensen-eval ', '').trim().split(/\s+/);
    // `data` has subcommands (data get, data verify); the others are one word.
    const key = words[0] === 'data' ? words.slice(0, 2).join(' ') : words[0]!;
    const rest = words.slice(key.split(' ').length);
    if (!help.has(key)) {
      const r = runCli([...key.split(' '), '--help']);
      assert.equal(r.status, 0, `${key} --help: ${r.stderr}`);
      help.set(key, r.stdout);
    }
    for (const flag of rest.filter((w) => w.startsWith('--'))) {
      const bare = flag.replace(/=.*/, '').replace(/^--no-/, '--');
      assert.ok(help.get(key)!.includes(bare), `${key}: ${flag} is not an option`);
    }
  }
});
