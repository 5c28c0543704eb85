import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createEncoder } from '../../src/encoders/factory.js';
import { FeatureCache } from '../../src/evaluate/feature-cache.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { closeProbePool } from '../../src/protocol/index.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import type { RunResults } from '../../src/results/schema.js';
import { UserError } from '../../src/util/errors.js';
import { dataDirWithout, repoRoot, senteval } from '../helpers/data.js';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-test-'));
test.after(async () => {
  await closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});

function sums(dataDir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(join(dataDir, 'SHA256SUMS'), 'utf8').split('\n')) {
    const [h, p] = line.trim().split(/\s+/);
    if (h && p) m.set(p.replace(/^\.\//, ''), h);
  }
  return m;
}

test('STS-B end to end with --config fast on the real data: reference-level Pearson, deterministic, cached', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const bow = await createEncoder({ encoder: 'bow' });
  // Counts the sentences that reach the encoder, so the cache's work is counted, not timed.
  let encoded = 0;
  const encoder = new Proxy(bow, {
    get(target, key) {
      if (key === 'encode') {
        return (batch: readonly (readonly string[])[]) => {
          encoded += batch.length;
          return target.encode(batch);
        };
      }
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const logged: string[] = [];
  const cache = new FeatureCache(join(tmp, 'features'));
  const opts = {
    tasks: resolveTasks('STSBenchmark'),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    cache,
    progress: silentProgress,
  };
  const out = join(tmp, 'stsb.json');
  const r1 = await evaluate(encoder, { ...opts, outPath: out });
  const sts = r1.tasks['STS-B']!;
  // Its numbers against SentEval's are senteval-parity.test.ts's; here, that every metric is there.
  for (const k of ['pearson', 'spearman', 'mse', 'devpearson']) assert.ok(Number.isFinite(sts.metrics[k]), `${k} ${sts.metrics[k]}`);
  assert.equal(sts.mainMetric, 'pearson');
  assert.deepEqual(sts.samples, { train: 5749, dev: 1500, test: 1379 });
  const known = sums(dataDir);
  assert.equal(sts.dataFiles.length, 3);
  for (const f of sts.dataFiles) assert.equal(f.sha256, known.get(f.path), f.path);

  // The file on disk is the returned document.
  const onDisk = JSON.parse(readFileSync(out, 'utf8')) as RunResults;
  assert.deepEqual(onDisk.tasks['STS-B']!.metrics, sts.metrics);
  assert.equal(onDisk.encoder.name, 'bow');
  assert.equal(onDisk.protocol.config, 'fast');
  // The file states its units, the model selection, and where and with what it was made.
  assert.equal(onDisk.units?.pearson, 'fraction (correlation, -1..1)');
  assert.equal(onDisk.units?.mse, 'squared gold-score units');
  for (const k of Object.keys(sts.metrics)) assert.ok(onDisk.units?.[k], `no unit for ${k}`);
  assert.equal(onDisk.environment?.node, process.version);
  assert.ok(onDisk.environment!.cpus >= 1);
  assert.equal(onDisk.environment?.dataDir, resolve(dataDir));
  assert.match(onDisk.environment?.gitCommit ?? '', /^[0-9a-f]{40}$/);
  assert.equal(onDisk.environment?.gitCommit, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8' }).trim());
  // Relatedness: no L2 search, epochs = a whole number of 50-epoch rounds; metrics at 4 decimals.
  assert.equal(sts.fit?.l2, undefined);
  assert.ok(typeof sts.fit?.epochs === 'number' && sts.fit.epochs > 0 && sts.fit.epochs % 50 === 0, `epochs ${sts.fit?.epochs}`);
  for (const [k, v] of Object.entries(sts.metrics)) {
    assert.equal(Math.round(v * 1e4) / 1e4, v, `${k} ${v} has more than 4 decimals`);
  }

  // Same seed, same numbers; the second run's vectors come from the feature cache.
  const first = encoded;
  assert.ok(first > 10000, `${first} sentences encoded on the first run`);
  encoded = 0;
  const r2 = await evaluate(encoder, { ...opts, progress: { ...silentProgress, log: (m: string) => logged.push(m) } });
  assert.deepEqual(r2.tasks['STS-B']!.metrics, sts.metrics);
  assert.equal(encoded, 0, 'no sentence reaches the encoder on the cached run');
  // Counted as the progress line counts what it encodes: the store's rows, with the occurrences beside.
  const { rows, occurrences } = r2.tasks['STS-B']!.store!;
  const same = rows === occurrences ? '' : ` (${occurrences} occurrences in the task)`;
  assert.ok(logged.includes(`STS-B: ${rows} sentence vectors from the feature cache${same}`), logged.join('\n'));

  // --resume skips the finished task (identical record), and refuses other settings.
  const r3 = await evaluate(encoder, { ...opts, outPath: out, resume: true });
  assert.deepEqual(r3.tasks['STS-B'], onDisk.tasks['STS-B']);
  await assert.rejects(
    evaluate(encoder, { ...opts, settings: resolveSettings('paper'), outPath: out, resume: true }),
    // Names the settings that differ, with both values (paper vs fast: kfold 10 there, 5 now ...).
    (e: unknown) => e instanceof UserError && /probe settings differ \(.*kfold: 5 there, 10 now/.test(e.message),
  );
});

test('evaluate CLI: user mistakes are one message, no stack trace, a non-zero exit and no results file', (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const out = join(tmp, 'cli.json');
  const unknown = runCli(['evaluate', '--tasks', 'MR,NOPE', '--data-dir', dataDir, '--out', out]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /NOPE/);
  assert.match(unknown.stderr, /SICK-R/);
  assert.doesNotMatch(unknown.stderr, /\n\s+at /);

  // SNLI missing (made so, whatever the real folder holds): the run stops before any work, naming the path and how to get it.
  const noSnli = dataDirWithout(dataDir, ['SNLI'], tmp);
  const missing = runCli(['evaluate', '--tasks', 'STS-B,SNLI', '--data-dir', noSnli, '--out', out]);
  assert.equal(missing.status, 2);
  // One message (issue 26): a first line saying what is missing where, a line per task naming its files, one fix line.
  assert.equal(missing.stderr.trim().split('\n').length, 3, missing.stderr);
  assert.match(missing.stderr, /^gensen-eval: data missing for 1 of 2 tasks in .*\n {2}SNLI {2}SNLI\/s1\.train, .*\nfix: /);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  assert.ok(!existsSync(out), 'no results file after a failed start');

  const empty = mkdtempSync(join(tmp, 'nodata-'));
  const noData = runCli(['evaluate', '--tasks', 'MR', '--data-dir', empty, '--out', out]);
  assert.equal(noData.status, 2);
  assert.match(noData.stderr, /rt-polarity\.pos/);

  writeFileSync(out, '{}');
  const exists = runCli(['evaluate', '--tasks', 'MR', '--data-dir', dataDir, '--out', out]);
  assert.equal(exists.status, 2);
  assert.match(exists.stderr, /--resume|--force/);
  assert.equal(readFileSync(out, 'utf8'), '{}');

  const badSeeds = runCli(['evaluate', '--tasks', 'MR', '--seeds', '1,x', '--data-dir', dataDir, '--out', join(tmp, 'x.json')]);
  assert.equal(badSeeds.status, 2);
  assert.match(badSeeds.stderr, /--seeds/);
});
