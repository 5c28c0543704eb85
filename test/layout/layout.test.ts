import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { LEADERBOARD_COLUMNS, canonicalTask } from '../../src/report/columns.js';
import { defaultTolerance } from '../../src/report/check.js';
import { findTask, listTasks, resolveTask, resolveTasks, suitesFile } from '../../src/tasks/registry.js';
import { repoRoot } from '../helpers/data.js';

const SRC = join(repoRoot(), 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a source file (static, re-exports and dynamic), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => resolve(dirname(file), m[1]).replace(/\.js$/, '.ts'));
}

const topFolder = (file: string): string => relative(SRC, file).split(sep)[0];

test('no import cycles between the top-level folders of src/', () => {
  const edges = new Map<string, Set<string>>();
  for (const f of sources(SRC)) {
    for (const t of importsOf(f)) {
      const [a, b] = [topFolder(f), topFolder(t)];
      if (a === b || a.endsWith('.ts')) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
  }
  const cycles: string[] = [];
  const visit = (n: string, path: string[]): void => {
    if (path.includes(n)) {
      cycles.push([...path.slice(path.indexOf(n)), n].join(' -> '));
      return;
    }
    for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
  };
  for (const n of edges.keys()) visit(n, []);
  assert.deepEqual(cycles, []);
  // The layering the architecture notes describe: low layers import nothing above them.
  for (const low of ['util', 'formats', 'stats', 'text']) {
    const up = [...(edges.get(low) ?? [])].filter((b) => b !== 'util');
    assert.deepEqual(up, [], `${low}/ imports ${up.join(', ')}`);
  }
});

test('exactly one module imports onnxruntime-node', () => {
  const importers = sources(SRC).filter((f) => /from\s+['"]onnxruntime-node['"]|import\(\s*['"]onnxruntime-node['"]/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(
    importers.map((f) => relative(SRC, f)),
    [join('compute', 'onnxruntime.ts')],
  );
});

test('exactly one module imports the webgpu package (the device, its limits and the no-GPU message live there)', () => {
  const importers = sources(SRC).filter((f) => /from\s+['"]webgpu['"]|import\(\s*['"]webgpu['"]/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(
    importers.map((f) => relative(SRC, f)),
    [join('compute', 'webgpu.ts')],
  );
});

test('the suites file names known tasks, and its order lists every definition', () => {
  const ids = listTasks().map((t) => t.id);
  const s = suitesFile();
  assert.deepEqual([...s.order].sort(), [...ids].sort());
  for (const [name, suite] of Object.entries(s.suites)) {
    for (const id of suite.tasks) assert.ok(ids.includes(id), `suite ${name}: unknown task ${id}`);
    assert.deepEqual(
      resolveTasks(name).map((t) => t.id),
      suite.tasks,
    );
  }
  assert.deepEqual(
    resolveTasks(s.default).map((t) => t.id),
    ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC', 'SICK-R', 'SICK-E', 'STS-B'],
  );
});

test('reports and --tasks agree on every id and alias (one alias table: the task files)', () => {
  for (const def of listTasks()) {
    for (const name of [def.id, ...def.aliases]) {
      assert.equal(resolveTask(name).id, def.id, `--tasks ${name}`);
      assert.equal(canonicalTask(name), def.id, `reports: ${name}`);
      assert.equal(findTask(name.toLowerCase())?.id, def.id);
    }
  }
  assert.equal(canonicalTask('NotATask'), 'NotATask');
  // The drift the issue found: these resolved for --tasks but not in reports.
  for (const [alias, id] of [
    ['TREC6', 'TREC'],
    ['CustomerReviews', 'CR'],
    ['MSRP', 'MRPC'],
    ['StanfordNLI', 'SNLI'],
    ['Subjectivity', 'SUBJ'],
  ]) {
    assert.equal(canonicalTask(alias), id);
  }
});

test('leaderboard columns and check tolerances come from the task files', () => {
  const s = suitesFile();
  const mains = LEADERBOARD_COLUMNS.filter((c) => c.main).map((c) => c.task);
  assert.deepEqual(mains, s.suites[s.leaderboard].tasks);
  for (const def of listTasks()) {
    const main = LEADERBOARD_COLUMNS.find((c) => c.task === def.id && c.main);
    assert.equal(main?.metric, def.mainMetric, def.id);
    if (!/pearson|spearman/.test(def.mainMetric)) assert.equal(defaultTolerance(def.id, def.mainMetric), def.report.tolerance);
  }
});
