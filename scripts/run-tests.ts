/**
 * Runs the compiled test suite (dist/test) split as scripts/test-suites.json says: unit tests
 * concurrently, then integration tests one file at a time. Prints node's spec report, then every
 * skip and to-do with its reason and one closing line `tests: N passed, N failed, N skipped`.
 *
 *   node dist/scripts/run-tests.js [unit|integration|all] [node --test options…]
 *
 * Under CI=true a skip that only a missing install explains (no chromium, no WebGPU adapter such as
 * lavapipe, no python3 or npm) fails the run: CI installs those, so such a skip hides a broken
 * install. CUDA's skips are expected there (CI has no NVIDIA GPU).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classify, filesEndingIn, readManifest, type SuiteClass } from './test-suites.js';

const INSTALL_SKIP = /chromium|adapter|webgpu|vulkan|lavapipe|python3 not found|npm not runnable/i;
const EXPECTED_SKIP = /cuda|test name does not match pattern/i;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

interface Outcome {
  pass: number;
  fail: number;
  skipped: number;
  cancelled: number;
  skips: string[];
  todos: string[];
  status: number;
}

/** Node's TAP: the summary counts, and each `ok N - name # SKIP reason` line (subtests included). */
function parseTap(tap: string): Omit<Outcome, 'status'> {
  const count = (k: string): number => [...tap.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  const skips = [...tap.matchAll(/^\s*ok \d+ - (.*?) # SKIP ?(.*)$/gm)].map((m) => `${m[1]}: ${m[2] || '(no reason given)'}`);
  const todos = [...tap.matchAll(/^\s*(?:not )?ok \d+ - (.*?) # TODO ?(.*)$/gm)].map((m) => `${m[1]}: ${m[2] || '(no reason given)'}`);
  return { pass: count('pass'), fail: count('fail'), skipped: count('skipped'), cancelled: count('cancelled'), skips, todos };
}

function run(cls: SuiteClass, files: string[], extra: string[]): Promise<Outcome> {
  const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-tests-'));
  const tapFile = join(tmp, `${cls}.tap`);
  // Units share the cores; integration files (real data, CLI processes, GPU, browser) run alone.
  const concurrency = cls === 'unit' ? Math.max(2, availableParallelism()) : 1;
  const args = [
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...extra,
    ...files,
  ];
  process.stdout.write(`\n== ${cls} tests: ${files.length} files, ${concurrency} at a time ==\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code, signal) => {
      const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
      rmSync(tmp, { recursive: true, force: true });
      resolve({ ...parseTap(tap), status: code ?? (signal ? 1 : 0) });
    });
  });
}

async function main(): Promise<void> {
  const root = repoRoot();
  const [mode = 'all', ...extra] = process.argv.slice(2);
  if (!['unit', 'integration', 'all'].includes(mode)) {
    process.stderr.write(`run-tests: expected unit, integration or all, not ${JSON.stringify(mode)}\n`);
    process.exit(2);
  }
  const manifest = readManifest(root);
  const compiled = filesEndingIn(root, join('dist', 'test'), '.test.js');
  const byClass: Record<SuiteClass, string[]> = { unit: [], integration: [] };
  const unclassified: string[] = [];
  for (const f of compiled) {
    const source = f.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    // A compiled file whose source is gone (a stale build) is not run.
    if (!existsSync(join(root, source))) continue;
    const cls = classify(manifest, source);
    if (cls) byClass[cls].push(f);
    else unclassified.push(source);
  }
  if (unclassified.length > 0) {
    process.stderr.write(`run-tests: not classified in scripts/test-suites.json: ${unclassified.join(', ')}\n`);
    process.exit(2);
  }
  const classes: SuiteClass[] = mode === 'all' ? ['unit', 'integration'] : [mode as SuiteClass];
  const outcomes: Outcome[] = [];
  for (const cls of classes) outcomes.push(await run(cls, byClass[cls], extra));

  const sum = (k: 'pass' | 'fail' | 'skipped' | 'cancelled'): number => outcomes.reduce((a, o) => a + o[k], 0);
  const skips = outcomes.flatMap((o) => o.skips).filter((s) => !/test name does not match pattern/.test(s));
  if (skips.length > 0) process.stdout.write(`\nskipped:\n${skips.map((s) => `  ${s}\n`).join('')}`);
  const todos = outcomes.flatMap((o) => o.todos);
  if (todos.length > 0) process.stdout.write(`\nto do (not counted as failures):\n${todos.map((s) => `  ${s}\n`).join('')}`);
  const installSkips = process.env.CI === 'true' ? skips.filter((s) => INSTALL_SKIP.test(s) && !EXPECTED_SKIP.test(s)) : [];
  for (const s of installSkips) process.stdout.write(`run-tests: under CI a missing install must not skip a test: ${s}\n`);
  const failed = sum('fail') + sum('cancelled');
  process.stdout.write(`tests: ${sum('pass')} passed, ${failed} failed, ${sum('skipped')} skipped\n`);
  if (outcomes.some((o) => o.status !== 0) || failed > 0 || installSkips.length > 0) process.exitCode = 1;
}

await main();
