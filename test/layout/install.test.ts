import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/data.js';

const root = repoRoot();

test('npm in this repository prints no "Unknown project config" warning', (t) => {
  const r = spawnSync('npm', ['config', 'get', 'registry'], { cwd: root, encoding: 'utf8' });
  if (r.error) {
    if (process.env.CI === 'true') throw r.error;
    t.skip(`npm not runnable: ${r.error.message}`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Unknown project config/);
  if (existsSync(join(root, '.npmrc'))) assert.doesNotMatch(readFileSync(join(root, '.npmrc'), 'utf8'), /onnxruntime-node-install/);
});

test('the CUDA download is skipped where the project installs: CI, the README, both workflow examples', () => {
  assert.match(readFileSync(join(root, '.ci', 'run'), 'utf8'), /^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /ONNXRUNTIME_NODE_INSTALL=skip npm ci/);
  for (const f of ['ci-example.yml', 'ci-matrix-example.yml']) {
    assert.match(readFileSync(join(root, 'docs', f), 'utf8'), /ONNXRUNTIME_NODE_INSTALL: skip/, f);
  }
  // onnxruntime-node's install script reads exactly this variable and value (it exits before any download).
  const script = readFileSync(join(root, 'node_modules', 'onnxruntime-node', 'script', 'install-utils.js'), 'utf8');
  assert.match(script, /process\.env\.ONNXRUNTIME_NODE_INSTALL\b/);
  assert.match(script, /case 'skip':\s*return false;/);
});
