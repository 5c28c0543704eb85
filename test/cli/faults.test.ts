/**
 * Bad input, environment faults and concurrency, through the real CLI (issue 16): every failure is
 * one line naming what and where plus a non-zero exit, nothing is half-written, nothing silently
 * wrong. A full disk is simulated through the test hook GENSEN_EVAL_TEST_ENOSPC (see
 * src/util/fault-injection.ts); nothing here mounts anything or needs root.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliArgv, runCli, assertOneLine, type CliResult } from '../helpers/cli.js';
import { repoRoot, senteval } from '../helpers/data.js';
import { readNpy } from '../../src/formats/npy.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-faults-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = join(repoRoot(), 'test', 'fixtures');
const ENOSPC = 'GENSEN_EVAL_TEST_ENOSPC';

function warnings(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('gensen-eval: warning:'));
}

function assertNoTemp(dir: string): void {
  const left = existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => /\.tmp$|\.lock$/.test(f))
    : [];
  assert.deepEqual(left, [], `temp or lock files left in ${dir}`);
}

// ---------------------------------------------------------------------------------------------
// A small data folder cut from the real data, and a cache primed once (the word vectors' binary
// cache takes seconds to build; tests that need their own cache link to it).

let dataRoot: string | undefined;
function tinyData(t: TestContext): string | undefined {
  const real = senteval(t);
  if (!real) return undefined;
  if (!dataRoot) {
    dataRoot = join(tmp, 'data');
    const cut = (rel: string, lines: number) => {
      mkdirSync(join(dataRoot!, rel, '..'), { recursive: true });
      const text = readFileSync(join(real, rel), 'utf8').split('\n').slice(0, lines).join('\n') + '\n';
      writeFileSync(join(dataRoot!, rel), text);
    };
    cut('SICK/SICK_train.txt', 301);
    cut('SICK/SICK_trial.txt', 81);
    cut('SICK/SICK_test_annotated.txt', 201);
    cut('TREC/train_5500.label', 300);
    cut('TREC/TREC_10.label', 100);
    for (const s of ['train', 'dev', 'test']) cut(`STS/STSBenchmark/sts-${s}.csv`, 150);
  }
  return dataRoot;
}

/** A private copy of the tiny data folder, to damage. */
function dataCopy(t: TestContext, name: string): string | undefined {
  const src = tinyData(t);
  if (!src) return undefined;
  const dst = join(tmp, `data-${name}`);
  cpSync(src, dst, { recursive: true });
  return dst;
}

const sharedCache = join(tmp, 'cache');
let primed = false;
function primeCache(data: string): void {
  if (primed) return;
  const r = runCli(['evaluate', '--no-progress', '--tasks', 'TREC', '--config', 'fast', '--data-dir', data, '--out', join(tmp, 'prime.json')], {
    GENSEN_EVAL_CACHE: sharedCache,
  });
  assert.equal(r.status, 0, r.stderr);
  primed = true;
}

/** A cache folder of its own (own feature cache) that shares the primed word-vector binary. */
function ownCache(data: string, name: string): string {
  primeCache(data);
  const dir = join(tmp, `cache-${name}`);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(sharedCache).filter((f) => f.endsWith('.bin'))) symlinkSync(join(sharedCache, f), join(dir, f));
  return dir;
}

function vectorBin(): string {
  const f = readdirSync(sharedCache).find((x) => x.endsWith('.bin'));
  assert.ok(f, 'primed cache holds the word-vector binary');
  return join(sharedCache, f);
}

function evaluate(data: string, out: string, tasks: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): CliResult {
  return runCli(['evaluate', '--no-progress', '--tasks', tasks, '--config', 'fast', '--data-dir', data, '--out', out, ...extra], {
    GENSEN_EVAL_CACHE: sharedCache,
    ...env,
  });
}

interface TaskOut {
  metrics: Record<string, number>;
  samples: Record<string, number>;
  dataFiles: { path: string; sha256: string }[];
  wallSeconds: number;
}
function readTasks(path: string): Record<string, TaskOut> {
  return (JSON.parse(readFileSync(path, 'utf8')) as { tasks: Record<string, TaskOut> }).tasks;
}
function metricsOf(path: string): Record<string, Record<string, number>> {
  return Object.fromEntries(Object.entries(readTasks(path)).map(([k, v]) => [k, v.metrics]));
}

// ---------------------------------------------------------------------------------------------
// 1, 2: empty and too-small splits are refused before any work

test('1: an empty SICK_trial.txt or SICK_train.txt is one line naming the split and file (exit 2)', (t) => {
  const d = dataCopy(t, 'sick-empty');
  if (!d) return;
  writeFileSync(join(d, 'SICK', 'SICK_trial.txt'), '');
  const out = join(tmp, 'o1.json');
  assertOneLine(evaluate(d, out, 'SICK-R'), 2, /SICK-R: the dev split \(SICK\/SICK_trial\.txt\) has no rows/);
  assert.ok(!existsSync(out));
  copyFileSync(join(tinyData(t)!, 'SICK', 'SICK_trial.txt'), join(d, 'SICK', 'SICK_trial.txt'));
  writeFileSync(join(d, 'SICK', 'SICK_train.txt'), '');
  assertOneLine(evaluate(d, out, 'SICK-E'), 2, /SICK-E: the train split \(SICK\/SICK_train\.txt\) has no rows/);
  assert.ok(!existsSync(out));
});

test('2: empty STS-B / TREC test files, a header-only SICK-E test file and a 1-row dev set are refused', (t) => {
  const d = dataCopy(t, 'empty-tests');
  if (!d) return;
  const out = join(tmp, 'o2.json');
  writeFileSync(join(d, 'STS', 'STSBenchmark', 'sts-test.csv'), '');
  assertOneLine(evaluate(d, out, 'STS-B'), 2, /STS-B: the test split \(STS\/STSBenchmark\/sts-test\.csv\) has no rows/);
  writeFileSync(join(d, 'TREC', 'TREC_10.label'), '');
  assertOneLine(evaluate(d, out, 'TREC'), 2, /TREC: the test split \(TREC\/TREC_10\.label\) has no rows/);
  const sickTest = join(d, 'SICK', 'SICK_test_annotated.txt');
  writeFileSync(sickTest, readFileSync(sickTest, 'utf8').split('\n')[0] + '\n');
  assertOneLine(evaluate(d, out, 'SICK-E'), 2, /SICK-E: the test split \(SICK\/SICK_test_annotated\.txt\) has no rows/);
  const dev = join(d, 'STS', 'STSBenchmark', 'sts-dev.csv');
  writeFileSync(dev, readFileSync(dev, 'utf8').split('\n')[0] + '\n');
  copyFileSync(join(tinyData(t)!, 'STS', 'STSBenchmark', 'sts-test.csv'), join(d, 'STS', 'STSBenchmark', 'sts-test.csv'));
  assertOneLine(evaluate(d, out, 'STS-B'), 2, /STS-B: the dev split \(STS\/STSBenchmark\/sts-dev\.csv\) has only 1 row \(a correlation needs at least 2\)/);
  assert.ok(!existsSync(out), 'nothing written');
});

// ---------------------------------------------------------------------------------------------
// 3: directories and unreadable files

test('3: a data file that is a directory: one line from evaluate, an "unreadable" status from data verify', (t) => {
  const d = dataCopy(t, 'dir-file');
  if (!d) return;
  rmSync(join(d, 'TREC', 'TREC_10.label'));
  mkdirSync(join(d, 'TREC', 'TREC_10.label'));
  assertOneLine(evaluate(d, join(tmp, 'o3.json'), 'TREC'), 2, /TREC\/TREC_10\.label: cannot read data file \(is a directory \(EISDIR\)\)/);
  const v = runCli(['data', 'verify', '--data-dir', d, '--tasks', 'TREC']);
  assert.equal(v.status, 1, v.stderr);
  assert.equal(v.stderr, '');
  assert.match(v.stdout, /TREC .*unreadable TREC\/TREC_10\.label \(is a directory \(EISDIR\)\)/);
});

function modelsDir(name: string): string {
  const m = join(tmp, `models-${name}`);
  mkdirSync(m, { recursive: true });
  copyFileSync(join(fixtures, 'gensen', 'tiny1.model'), join(m, 'tiny1.model'));
  copyFileSync(join(fixtures, 'gensen', 'tiny1_vocab.pkl'), join(m, 'tiny1_vocab.pkl'));
  return m;
}

function sentences(name: string, lines: string[]): string {
  const p = join(tmp, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

test('3: a model, vocabulary, --input or --out that is a directory is one line from encode', () => {
  const input = sentences('s3.txt', ['the cat sat .', 'a dog']);
  const outDir = join(tmp, 'enc3');
  mkdirSync(outDir, { recursive: true });
  const enc = (m: string, extra: string[] = [], out = join(outDir, 'v.npy')) =>
    runCli(['encode', '--models-dir', m, '--prefix1', 'tiny1', '--input', input, '--out', out, '--quiet', ...extra]);
  const m1 = modelsDir('dir-model');
  rmSync(join(m1, 'tiny1.model'));
  mkdirSync(join(m1, 'tiny1.model'));
  assertOneLine(enc(m1), 2, /tiny1\.model: cannot read (checkpoint|\(is a directory)/);
  const m2 = modelsDir('dir-vocab');
  rmSync(join(m2, 'tiny1_vocab.pkl'));
  mkdirSync(join(m2, 'tiny1_vocab.pkl'));
  assertOneLine(enc(m2), 2, /tiny1_vocab\.pkl: cannot read vocabulary \(EISDIR\)/);
  const m3 = modelsDir('ok');
  const r = runCli(['encode', '--models-dir', m3, '--prefix1', 'tiny1', '--input', outDir, '--out', join(outDir, 'v.npy'), '--quiet']);
  assertOneLine(r, 2, new RegExp(`${basename(outDir)}: cannot read \\(is a directory \\(EISDIR\\)\\)`));
  assertOneLine(enc(m3, [], outDir), 2, /--out .*enc3: is a directory; name a file/);
  assert.deepEqual(readdirSync(outDir), [], 'nothing written');
});

test('3, 9: a feature-cache entry that is a directory or corrupted in place is recomputed with a warning', (t) => {
  const d = tinyData(t);
  if (!d) return;
  const cache = ownCache(d, 'corrupt');
  const out = join(tmp, 'o9.json');
  const clean = evaluate(d, out, 'SICK-E,STS-B', [], { GENSEN_EVAL_CACHE: cache });
  assert.equal(clean.status, 0, clean.stderr);
  const want = metricsOf(out);
  const entries = readdirSync(join(cache, 'features')).filter((f) => f.endsWith('.store'));
  assert.ok(entries.length >= 2, `entries: ${entries.length}`);
  // Same size, 2,000 floats overwritten in the middle of every entry.
  for (const f of entries) {
    const p = join(cache, 'features', f);
    const fd = openSync(p, 'r+');
    writeSync(fd, Buffer.alloc(8000, 0x41), 0, 8000, 100);
    closeSync(fd);
  }
  const again = evaluate(d, out, 'SICK-E,STS-B', ['--force'], { GENSEN_EVAL_CACHE: cache });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(
    warnings(again).filter((w) => /checksum mismatch \(the file was changed or damaged\); encoding again/.test(w)).length,
    entries.length,
    again.stderr,
  );
  assert.deepEqual(metricsOf(out), want, 'same numbers as the clean cache');
  // The recomputed entries are sound again; an entry replaced by a directory degrades to no cache.
  const third = evaluate(d, out, 'SICK-E,STS-B', ['--force'], { GENSEN_EVAL_CACHE: cache });
  assert.deepEqual(warnings(third), []);
  const victim = join(cache, 'features', entries[0]!);
  rmSync(victim);
  mkdirSync(victim);
  const dirEntry = evaluate(d, out, 'SICK-E,STS-B', ['--force'], { GENSEN_EVAL_CACHE: cache });
  assert.equal(dirEntry.status, 0, dirEntry.stderr);
  assert.doesNotMatch(dirEntry.stderr, /\n\s+at /);
  const dw = warnings(dirEntry);
  assert.ok(dw.length >= 1 && dw.length <= 2, dirEntry.stderr);
  assert.match(dw[dw.length - 1]!, /feature cache: .*(continuing without the cache|encoding again)/);
  assert.deepEqual(metricsOf(out), want);
});

// ---------------------------------------------------------------------------------------------
// 4: --out is checked before any work

test('4: an --out that is a directory, sits under a file, cannot be created or has no value fails before any work', (t) => {
  const d = tinyData(t);
  if (!d) return;
  const cache = join(tmp, 'cache-untouched');
  mkdirSync(cache, { recursive: true });
  const ev = (out: string[], extra: string[] = []) =>
    runCli(['evaluate', '--no-progress', '--tasks', 'TREC', '--config', 'fast', '--data-dir', d, ...out, ...extra], { GENSEN_EVAL_CACHE: cache });
  const dir = join(tmp, 'out-dir');
  mkdirSync(dir, { recursive: true });
  assertOneLine(ev(['--out', dir]), 2, /--out .*out-dir: is a directory; name a file/);
  const file = join(tmp, 'plain-file');
  writeFileSync(file, 'x');
  assertOneLine(ev(['--out', join(file, 'sub', 'r.json')]), 2, /plain-file is a file, not a folder/);
  assertOneLine(ev(['--out', '/proc/gensen-eval-no-such/r.json']), 2, /--out \/proc\/gensen-eval-no-such\/r\.json: cannot write in \/proc/);
  assertOneLine(ev(['--out'], ['--force']), 2, /^gensen-eval: --out needs a value$/);
  assert.deepEqual(readdirSync(cache), [], 'no work done: not even the word vectors were loaded');
});

// ---------------------------------------------------------------------------------------------
// 5, 6: a full disk

test('5: a full disk for --out or --save-predictions is one line, and nothing is half-written', (t) => {
  const d = tinyData(t);
  if (!d) return;
  primeCache(d);
  const dir = join(tmp, 'full5');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'r5.json');
  assertOneLine(evaluate(d, out, 'TREC', [], { [ENOSPC]: 'r5.json' }), 2, /r5\.json: cannot write \(no space left on device \(ENOSPC\)\)/);
  assert.deepEqual(readdirSync(dir), [], 'no results file, no temp file, no lock');
  assertOneLine(
    evaluate(d, out, 'TREC', ['--save-predictions'], { [ENOSPC]: '.predictions' }),
    2,
    /r5\.predictions\/TREC\.json: cannot write \(no space left on device \(ENOSPC\)\)/,
  );
  assert.ok(!existsSync(out), 'no results file naming a sidecar that was never written');
  assertNoTemp(dir);
});

test('6: a full cache disk, a cache path naming a file: warn once per cache and run without it; --no-cache writes no cache', (t) => {
  const d = tinyData(t);
  if (!d) return;
  primeCache(d);
  const out = join(tmp, 'o6.json');
  assert.equal(evaluate(d, out, 'SICK-E', ['--no-cache']).status, 0);
  const want = metricsOf(out);

  const full = join(tmp, 'cache-full');
  mkdirSync(full, { recursive: true });
  const r = evaluate(d, out, 'SICK-E', ['--force'], { GENSEN_EVAL_CACHE: full, [ENOSPC]: full });
  assert.equal(r.status, 0, r.stderr);
  const w = warnings(r);
  assert.equal(w.length, 2, r.stderr);
  assert.match(w[0]!, /word-vector cache: .*cannot write \(no space left on device \(ENOSPC\)\); continuing without it/);
  assert.match(w[1]!, /feature cache: cannot write .* \(no space left on device \(ENOSPC\)\); continuing without the cache/);
  assert.deepEqual(metricsOf(out), want);
  assertNoTemp(full);

  const notDir = join(tmp, 'cache-is-a-file');
  writeFileSync(notDir, 'not a folder');
  const f = evaluate(d, out, 'SICK-E', ['--force'], { GENSEN_EVAL_CACHE: notDir });
  assert.equal(f.status, 0, f.stderr);
  assert.doesNotMatch(f.stderr, /\n\s+at /);
  assert.equal(warnings(f).length, 2, f.stderr);
  assert.deepEqual(metricsOf(out), want);

  const none = join(tmp, 'cache-none');
  mkdirSync(none, { recursive: true });
  const n = evaluate(d, out, 'SICK-E', ['--force', '--no-cache'], { GENSEN_EVAL_CACHE: none });
  assert.equal(n.status, 0, n.stderr);
  assert.deepEqual(readdirSync(none), [], '--no-cache: neither the word-vector nor the feature cache is written');
});

// ---------------------------------------------------------------------------------------------
// 7: encode's temp files

test('7: encode on a full disk leaves no temp files; SIGINT during --all-states removes them too', async (t) => {
  const m = modelsDir('enc7');
  const dir = join(tmp, 'enc7');
  mkdirSync(dir, { recursive: true });
  const small = sentences('s7.txt', ['the cat sat .', 'a dog']);
  const args = (input: string) => ['encode', '--models-dir', m, '--prefix1', 'tiny1', '--input', input, '--out', join(dir, 'v.npy'), '--all-states', '--quiet'];
  assertOneLine(runCli(args(small), { [ENOSPC]: 'v.states.npy' }), 2, /v\.states\.npy: cannot write \(no space left on device \(ENOSPC\)\)/);
  assert.deepEqual(readdirSync(dir), [], 'no output, no temp file');

  const words = 'the cat sat on a mat dog ran fast slow big small red blue'.split(' ');
  const lines: string[] = [];
  for (let i = 0; i < 60000; i++) lines.push(Array.from({ length: 3 + (i % 27) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' '));
  const big = sentences('s7-big.txt', lines);
  // encode logs a line per batch to stderr, which this test leaves unread until after the signal: a
  // write to a full pipe blocks the writer (Linux), so with batches of one sentence the run is held
  // mid-stream, temp files open, however fast or slow the machine: the signal cannot come too late.
  const held = args(big).filter((x) => x !== '--quiet');
  const child = spawn(process.execPath, [...cliArgv(), ...held, '--batch-size', '1'], { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  // Vectors, states and lengths stream into three temp files, created one after another.
  const temps = (): number => readdirSync(dir).filter((f) => f.endsWith('.tmp')).length;
  while (temps() < 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  assert.equal(temps(), 3, 'encode streams into its temp files');
  child.kill('SIGINT');
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const status = await exited;
  assert.equal(status, 130, stderr.slice(-2000));
  assert.match(stderr, /interrupted \(SIGINT\); temporary files removed/);
  assert.doesNotMatch(stderr, /encoded 60000\/60000/, 'interrupted before the end');
  assert.deepEqual(readdirSync(dir), [], 'no temp files left after SIGINT');
});

// ---------------------------------------------------------------------------------------------
// 8: concurrent runs on one --out

test("8: a second evaluate on the same --out while the first runs is refused; a dead run's lock is taken over", async (t) => {
  const d = tinyData(t);
  if (!d) return;
  primeCache(d);
  const out = join(tmp, 'o8.json');
  // The running writer is a process this test controls: it takes the lock through the harness's own
  // lockOutput and holds it until its stdin closes, so the refusal cannot depend on timing.
  const compiled = import.meta.url.endsWith('.js');
  const lockModule = pathToFileURL(join(repoRoot(), compiled ? 'dist' : '', 'src', 'util', compiled ? 'lock.js' : 'lock.ts')).href;
  const holder = spawn(
    process.execPath,
    [
      ...(compiled ? [] : ['--import', 'tsx']),
      '--input-type=module',
      '-e',
      `const { lockOutput } = await import(${JSON.stringify(lockModule)}); lockOutput(${JSON.stringify(out)}); process.stdout.write('locked\\n'); process.stdin.on('data', () => {}).on('end', () => process.exit(0));`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  const holderExit = new Promise<number | null>((resolve) => holder.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.setEncoding('utf8').on('data', (c: string) => c.includes('locked') && resolve());
    holder.on('close', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
  });
  assert.ok(existsSync(`${out}.lock`), 'the holder holds the lock');
  const second = evaluate(d, out, 'SICK-E', ['--resume']);
  assertOneLine(second, 2, new RegExp(`o8\\.json is being written by another gensen-eval run \\(pid ${holder.pid}\\)`));
  assert.ok(!existsSync(out), 'the refused run wrote nothing');
  holder.stdin!.end();
  assert.equal(await holderExit, 0);
  assert.ok(!existsSync(`${out}.lock`), 'lock released when its holder exits');
  const first = evaluate(d, out, 'TREC');
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(Object.keys(readTasks(out)), ['TREC']);
  assert.ok(!existsSync(`${out}.lock`), 'lock released');

  // A lock left by a process that is gone (kill -9) does not block the next run.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  writeFileSync(`${out}.lock`, JSON.stringify({ pid: dead, host: (await import('node:os')).hostname() }));
  const third = evaluate(d, out, 'SICK-E', ['--resume']);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stderr, new RegExp(`took over the lock of a run that is gone \\(pid ${dead}\\)`));
  assert.deepEqual(Object.keys(readTasks(out)).sort(), ['SICK-E', 'TREC']);
  assert.ok(!existsSync(`${out}.lock`));
});

// ---------------------------------------------------------------------------------------------
// 10: the word-vector cache

test('10: a damaged word-vector cache is detected by its hash and rebuilt, with the same numbers', (t) => {
  const d = tinyData(t);
  if (!d) return;
  primeCache(d);
  const out = join(tmp, 'o10.json');
  assert.equal(evaluate(d, out, 'SICK-E').status, 0);
  const want = metricsOf(out);
  const hash = (JSON.parse(readFileSync(out, 'utf8')) as { encoder: { weightsHash: string } }).encoder.weightsHash;
  const cache = join(tmp, 'cache-vec');
  mkdirSync(cache, { recursive: true });
  const bin = join(cache, basename(vectorBin()));
  copyFileSync(vectorBin(), bin);
  const fd = openSync(bin, 'r+');
  writeSync(fd, Buffer.alloc(4 << 20), 0, 4 << 20, 40 << 20);
  closeSync(fd);
  const r = evaluate(d, out, 'SICK-E', ['--force'], { GENSEN_EVAL_CACHE: cache });
  assert.equal(r.status, 0, r.stderr);
  assert.match(warnings(r).join('\n'), /word-vector cache .* is stale or damaged; rebuilding it/);
  assert.deepEqual(metricsOf(out), want);
  assert.equal((JSON.parse(readFileSync(out, 'utf8')) as { encoder: { weightsHash: string } }).encoder.weightsHash, hash);
  assert.ok(readFileSync(bin).equals(readFileSync(vectorBin())), 'the rebuilt cache is the clean one');
});

// ---------------------------------------------------------------------------------------------
// 11: --resume after a data file changed

test('11: --resume re-runs a task whose data file changed, saying which file', (t) => {
  const d = dataCopy(t, 'resume');
  if (!d) return;
  primeCache(d);
  const out = join(tmp, 'o11.json');
  assert.equal(evaluate(d, out, 'SICK-E,TREC').status, 0);
  const before = readTasks(out);
  const trec = join(d, 'TREC', 'TREC_10.label');
  writeFileSync(trec, readFileSync(trec, 'utf8').split('\n').slice(0, 80).join('\n') + '\n');
  const r = evaluate(d, out, 'SICK-E,TREC', ['--resume']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(warnings(r), [`gensen-eval: warning: TREC: TREC/TREC_10.label changed since ${out} recorded it; running TREC again (--resume)`]);
  const after = readTasks(out);
  assert.deepEqual(after['SICK-E'], before['SICK-E'], 'the unchanged task is kept as it was');
  assert.equal(after.TREC!.samples.test, 80);
  assert.notEqual(
    after.TREC!.dataFiles.find((f) => f.path === 'TREC/TREC_10.label')!.sha256,
    before.TREC!.dataFiles.find((f) => f.path === 'TREC/TREC_10.label')!.sha256,
  );
});

// ---------------------------------------------------------------------------------------------
// 12, 13, 18: checkpoints and vocabularies

function encodeWith(model: string, vocab: string, out: string, input: string): CliResult {
  const m = join(tmp, `models-${basename(out, '.npy')}`);
  mkdirSync(m, { recursive: true });
  copyFileSync(model, join(m, 'm.model'));
  copyFileSync(vocab, join(m, 'm_vocab.pkl'));
  return runCli(['encode', '--models-dir', m, '--prefix1', 'm', '--input', input, '--out', out, '--quiet']);
}

test('12: NaN/Inf weights are refused, naming the tensor', () => {
  const out = join(tmp, 'nan.npy');
  const r = encodeWith(join(fixtures, 'faults', 'nan.zip.model'), join(fixtures, 'gensen', 'tiny1_vocab.pkl'), out, sentences('s12.txt', ['the cat']));
  assertOneLine(r, 2, /m\.model: tensor 'encoder\.weight_hh_l0' holds a non-finite weight \(NaN at element 15\)/);
  assert.ok(!existsSync(out));
});

test('13: an embedding of 1,000,000 rows for a 60-word vocabulary is refused before it is inflated', () => {
  const out = join(tmp, 'bomb.npy');
  const t0 = performance.now();
  const r = encodeWith(join(fixtures, 'faults', 'bomb.zip.model'), join(fixtures, 'gensen', 'tiny1_vocab.pkl'), out, sentences('s13.txt', ['the cat']));
  assertOneLine(r, 2, /m\.model: src_embedding\.weight has 1000000 rows for the 60 words of .*m_vocab\.pkl; not the model this vocabulary belongs to/);
  assert.ok(performance.now() - t0 < 20000);
  assert.ok(!existsSync(out));
});

test('18: as in gensen.py, a vocabulary smaller than the embedding loads and a larger one is refused', () => {
  const input = sentences('s18.txt', ['the cat sat .', 'a dog , the end']);
  const model = join(fixtures, 'gensen', 'tiny1.model');
  const full = join(tmp, 'full18.npy');
  assert.equal(encodeWith(model, join(fixtures, 'gensen', 'tiny1_vocab.pkl'), full, input).status, 0);
  const small = join(tmp, 'small18.npy');
  const r = encodeWith(model, join(fixtures, 'faults', 'small_vocab.pkl'), small, input);
  assert.equal(r.status, 0, r.stderr);
  // The dropped words are tiny1's last five ids; these sentences use none of them.
  assert.deepEqual(readNpy(readFileSync(small)).data, readNpy(readFileSync(full)).data);
  const large = join(tmp, 'large18.npy');
  assertOneLine(encodeWith(model, join(fixtures, 'faults', 'large_vocab.pkl'), large, input), 2, /m_vocab\.pkl: 65 words but .*m\.model embeds only 60/);
  assert.ok(!existsSync(large));
});

// ---------------------------------------------------------------------------------------------
// 14, 15, 19: results files and sidecars

function resultsCopy(name: string, edit: (doc: Record<string, unknown>) => void, from = 'base.json'): string {
  const doc = JSON.parse(readFileSync(join(fixtures, 'results', from), 'utf8')) as Record<string, unknown>;
  edit(doc);
  const p = join(tmp, 'res', name);
  mkdirSync(join(tmp, 'res'), { recursive: true });
  writeFileSync(p, JSON.stringify(doc, null, 2).replace('"__INF__"', '1e999'));
  return p;
}

type Tasks = Record<string, { metrics: Record<string, unknown> }>;

test('14: non-finite and out-of-range metrics make a results file unusable for leaderboard, check and compare', () => {
  const base = join(fixtures, 'results', 'base.json');
  const cases: [string, (d: Record<string, unknown>) => void, RegExp][] = [
    ['inf.json', (d) => ((d.tasks as Tasks)['SICK-E']!.metrics.acc = '__INF__'), /task SICK-E, metric 'acc' .* is Infinity, expected a number from 0 to 100/],
    ['acc720.json', (d) => ((d.tasks as Tasks).TREC!.metrics.acc = 720), /task TREC, metric 'acc' .* is 720, expected a number from 0 to 100 \(a percentage\)/],
    [
      'pearson.json',
      (d) => ((d.tasks as Tasks)['STS-B']!.metrics.pearson = 58.38),
      /task STS-B, metric 'pearson' .* is 58\.38, expected a number from -1 to 1 \(a correlation\)/,
    ],
  ];
  for (const [name, edit, re] of cases) {
    const bad = resultsCopy(name, edit);
    assertOneLine(runCli(['leaderboard', bad]), 2, re);
    assertOneLine(runCli(['check', bad, '--against', base]), 2, re);
    assertOneLine(runCli(['check', base, '--against', bad]), 2, re);
    assertOneLine(runCli(['compare', base, bad]), 2, re);
  }
});

function pairCopy(name: string): string {
  const dir = join(tmp, `pair-${name}`);
  mkdirSync(dir, { recursive: true });
  for (const f of ['pair-a', 'pair-b']) {
    copyFileSync(join(fixtures, 'results', `${f}.json`), join(dir, `${f}.json`));
    cpSync(join(fixtures, 'results', `${f}.predictions`), join(dir, `${f}.predictions`), { recursive: true });
  }
  return dir;
}

test('15: compare refuses sidecars that contradict the results file, hold bad classes or another task, or lie outside', () => {
  const cmp = (dir: string) => runCli(['compare', join(dir, 'pair-a.json'), join(dir, 'pair-b.json'), '--tasks', 'TREC', '--resamples', '200']);
  const ok = pairCopy('ok');
  assert.equal(cmp(ok).status, 0);

  const swapped = pairCopy('swapped');
  copyFileSync(join(swapped, 'pair-a.predictions', 'TREC.json'), join(swapped, 'pair-b.predictions', 'TREC.json'));
  assertOneLine(cmp(swapped), 2, /pair-b\.json \(task TREC, .*\): the sidecar's predictions score acc 78\.4 but the results file records 85\.6/);

  const badClass = pairCopy('class');
  const sc = join(badClass, 'pair-b.predictions', 'TREC.json');
  const doc = JSON.parse(readFileSync(sc, 'utf8')) as { pred: number[]; task: string };
  doc.pred[0] = 9;
  writeFileSync(sc, JSON.stringify(doc));
  assertOneLine(cmp(badClass), 2, /example 0 of test has class 9; TREC has classes 0\.\.5/);

  const other = pairCopy('task');
  const so = join(other, 'pair-b.predictions', 'TREC.json');
  const od = JSON.parse(readFileSync(so, 'utf8')) as { task: string };
  od.task = 'MRPC';
  writeFileSync(so, JSON.stringify(od));
  assertOneLine(cmp(other), 2, /the sidecar holds predictions for task MRPC, not TREC/);

  const outside = pairCopy('outside');
  const rb = join(outside, 'pair-b.json');
  const rd = JSON.parse(readFileSync(rb, 'utf8')) as { tasks: Record<string, { predictionsFile: string }> };
  rd.tasks.TREC!.predictionsFile = '../../../../etc/passwd';
  writeFileSync(rb, JSON.stringify(rd));
  const r = cmp(outside);
  assertOneLine(r, 2, /predictionsFile '\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' points outside the results file's folder/);
  assert.doesNotMatch(r.stderr, /root:/);
});

test('19: compare --resamples is bounded', () => {
  const dir = pairCopy('resamples');
  const t0 = performance.now();
  const r = runCli(['compare', join(dir, 'pair-a.json'), join(dir, 'pair-b.json'), '--resamples', '1e9']);
  assertOneLine(r, 2, /--resamples: expected an integer from 100 to 1000000, got 1000000000/);
  assert.ok(performance.now() - t0 < 10000);
});

// ---------------------------------------------------------------------------------------------
// 16, 17: seeds and contradictory or empty flags

test('16, 17: bad seeds, duplicate seeds, empty values and contradictory flags are refused before any work', () => {
  const out = join(tmp, 'o16', 'r.json');
  const ev = (args: string[]) =>
    runCli(['evaluate', '--no-progress', '--config', 'fast', '--data-dir', tmp, '--out', out, ...args], { GENSEN_EVAL_CACHE: join(tmp, 'cache-16') });
  const range = 'an integer from 0 to 4294967295';
  assertOneLine(ev(['--tasks', 'TREC', '--seed', 'abc']), 2, new RegExp(`--seed must be ${range}, got a non-number`));
  assertOneLine(ev(['--tasks', 'TREC', '--seed', '1.5']), 2, new RegExp(`--seed must be ${range}, got 1\\.5`));
  assertOneLine(ev(['--tasks', 'TREC', '--seed', '-7']), 2, new RegExp(`--seed must be ${range}, got -7`));
  assertOneLine(ev(['--tasks', 'TREC', '--encoder', 'borep', '--projection-seed', 'abc']), 2, new RegExp(`--projection-seed must be ${range}`));
  assertOneLine(ev(['--tasks', 'TREC', '--seeds', '1111,1111']), 2, /--seeds lists seed 1111 twice/);
  assertOneLine(ev(['--tasks', 'TREC', '--seeds', '1111,x']), 2, /--seeds must be comma-separated integers/);
  assertOneLine(ev(['--tasks']), 2, /^gensen-eval: --tasks needs a value$/);
  assertOneLine(ev(['--tasks', 'TREC', '--glove', 'g.txt']), 2, /--glove is an option of --encoder gensen, not bow/);
  assertOneLine(ev(['--tasks', 'TREC', '--seed', '1', '--seeds', '1,2']), 2, /--seed and --seeds contradict each other/);
  assertOneLine(ev(['--tasks', 'TREC', '--resume', '--force']), 2, /--resume and --force contradict each other/);
  assert.ok(!existsSync(join(tmp, 'o16')) && !existsSync(join(tmp, 'cache-16')), 'nothing written');
  assertOneLine(runCli(['compare', 'a.json', 'b.json', '--seed', '2.5']), 2, new RegExp(`--seed must be ${range}, got 2\\.5`));
});

// ---------------------------------------------------------------------------------------------
// 20: a reader that closes early

function piped(args: string[], env: NodeJS.ProcessEnv = {}): { status: number; stderr: string } {
  const errFile = join(tmp, `pipe-${Math.random().toString(36).slice(2)}.err`);
  const cmd = `${[process.execPath, ...cliArgv(), ...args].map((a) => `'${a}'`).join(' ')} 2>'${errFile}' | true; exit \${PIPESTATUS[0]}`;
  const r = spawnSync('bash', ['-c', cmd], { cwd: repoRoot(), env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: readFileSync(errFile, 'utf8') };
}

test('20: leaderboard, compare and evaluate piped into a reader that closes early exit quietly', (t) => {
  const lb = piped(['leaderboard', join(fixtures, 'results', 'base.json'), '--reference', 'gensen,baselines']);
  assert.deepEqual(lb, { status: 0, stderr: '' });
  const dir = pairCopy('pipe');
  const cmp = piped(['compare', join(dir, 'pair-a.json'), join(dir, 'pair-b.json'), '--resamples', '200']);
  assert.deepEqual(cmp, { status: 0, stderr: '' });
  const d = tinyData(t);
  if (!d) return;
  primeCache(d);
  const out = join(tmp, 'o20.json');
  const ev = piped(['evaluate', '--no-progress', '--tasks', 'TREC', '--config', 'fast', '--data-dir', d, '--out', out], { GENSEN_EVAL_CACHE: sharedCache });
  assert.deepEqual(ev, { status: 0, stderr: '' });
  assert.deepEqual(Object.keys(readTasks(out)), ['TREC'], 'the results file is complete');
});
