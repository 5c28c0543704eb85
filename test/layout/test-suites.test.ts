/** The unit/integration split is declared, complete and current (scripts/test-suites.json). */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { classify, filesEndingIn, readManifest } from '../../scripts/test-suites.js';
import { repoRoot } from '../helpers/data.js';

const root = repoRoot();
const manifest = readManifest(root);
const files = filesEndingIn(root, 'test', '.test.ts');

test('every test file is classified as unit or integration', () => {
  assert.ok(files.length > 50, `${files.length} test files`);
  const unclassified = files.filter((f) => classify(manifest, f) === undefined);
  assert.deepEqual(unclassified, [], 'add them to scripts/test-suites.json');
});

test('every path of the manifest names a test file or a folder holding some, once', () => {
  const entries = [...manifest.unit, ...manifest.integration];
  assert.equal(new Set(entries).size, entries.length, 'a path listed twice');
  for (const e of entries) {
    assert.ok(existsSync(join(root, e)), `${e} does not exist`);
    assert.ok(
      files.some((f) => (e.endsWith('/') ? f.startsWith(e) : f === e)),
      `${e} holds no test file`,
    );
  }
});

test('the longest path decides: a file listed under a folder of the other class takes its own class', () => {
  const m = { unit: ['test/a/'], integration: ['test/a/b.test.ts', 'test/'] };
  assert.equal(classify(m, 'test/a/b.test.ts'), 'integration');
  assert.equal(classify(m, 'test/a/c.test.ts'), 'unit');
  assert.equal(classify(m, 'test/d.test.ts'), 'integration');
  assert.equal(classify({ unit: [], integration: [] }, 'test/d.test.ts'), undefined);
  // The real split puts what needs data, processes, a GPU or a browser on the integration side.
  for (const f of ['test/evaluate/evaluate.test.ts', 'test/cli/faults.test.ts', 'test/report/leaderboard-browser.test.ts', 'test/probe/gpu-probes.test.ts']) {
    assert.equal(classify(manifest, f), 'integration', f);
  }
  assert.equal(classify(manifest, 'test/probe/probe.test.ts'), 'unit');
});
