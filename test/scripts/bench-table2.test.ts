import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadGensenModel } from '../../src/encoders/gensen/model-files.js';
import { repoRoot } from '../helpers/data.js';
import { writeSickData } from '../helpers/sick-data.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-table2-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('bench table2 --quick: a small synthetic pair in the released layout and bow over SICK-E and SICK-R, one row per task each, peak RSS and both floors', async () => {
  const data = writeSickData(join(tmp, 'data'));
  const models = join(tmp, 'models');
  const r = spawnSync(
    process.execPath,
    [join(repoRoot(), 'dist', 'scripts', 'bench.js'), 'table2', '--quick', '--tasks', 'SICK-E,SICK-R', '--models-dir', models],
    {
      encoding: 'utf8',
      env: { ...process.env, BENCH_DATA_DIR: data },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /## table2: 2 tasks, --config paper, cold feature cache, \d+ cores/);
  for (const enc of ['gensen', 'bow']) {
    const section = out.split(`### ${enc}`)[1]!.split('###')[0]!;
    for (const task of ['SICK-E', 'SICK-R']) assert.match(section, new RegExp(`^${task}\\s+\\d+\\.\\d`, 'm'), `${enc} ${task}`);
    assert.match(section, new RegExp(`^${enc}: [\\d.]+ s wall .* compute floor of [\\d.]+ s and a memory floor of [\\d.]+ s\\); peak RSS [\\d.]+ GiB`, 'm'));
    // Each task's probes against both floors: seconds and a ratio each (the relatedness probe's too).
    for (const task of ['SICK-E', 'SICK-R']) {
      assert.match(section, new RegExp(`^${task}(\\s+[\\d.]+){5}\\s+[\\d.]+\\s+[\\d.]+x\\s+[\\d.]+\\s+[\\d.]+x`, 'm'), `${enc} ${task} floors`);
    }
  }
  // SICK-R reads SICK-E's sentences: encoded once in the run.
  assert.match(out, /^SICK-R\s+[\d.]+\s+0\.0\s/m);
  // The pair is in the released layout: the checkpoint and vocabulary readers load it at the --quick shape.
  for (const prefix of ['synthetic_a', 'synthetic_b']) {
    const m = await loadGensenModel(models, prefix);
    assert.deepEqual([m.weights.vocabSize, m.weights.embDim, m.weights.hidden, m.weights.layers], [2000, 32, 64, 1]);
    assert.equal(m.word2id.get('<unk>'), 3);
  }
});

test("bench table2 --nhid: the MLP probe, its compute floor at the MLP kernels' rate; a bad --nhid is one line", () => {
  const data = writeSickData(join(tmp, 'data-mlp'));
  const bench = join(repoRoot(), 'dist', 'scripts', 'bench.js');
  const r = spawnSync(process.execPath, [bench, 'table2', '--quick', '--encoders', 'bow', '--nhid', '8', '--tasks', 'SICK-E'], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_DATA_DIR: data },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /## table2: 1 tasks, --config paper, --nhid 8 \(the MLP probe\), cold feature cache/);
  assert.match(r.stdout, /MLP's first-layer kernels\), on all cores/);
  assert.doesNotMatch(r.stdout, /### gensen/);
  assert.match(r.stdout, /^SICK-E(\s+[\d.]+){5}\s+[\d.]+\s+[\d.]+x\s+[\d.]+\s+[\d.]+x/m);
  const bad = spawnSync(process.execPath, [bench, 'table2', '--quick', '--nhid', 'many'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'bench: --nhid many: expected a whole number of hidden units (0: logistic regression)\n');
});
