import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StderrProgress, fmtMetric, phaseUnit } from '../../src/evaluate/progress.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/data.js';

function capture(enabled: boolean, tty: boolean): { p: StderrProgress; out: () => string } {
  let buf = '';
  return { p: new StderrProgress(enabled, tty, (s) => (buf += s)), out: () => buf };
}

test('without a terminal: one plain line per task phase, with the run position and what is counted', () => {
  const { p, out } = capture(true, false);
  p.startTask(3, 10, 'SUBJ');
  for (let d = 1; d <= 5; d++) p.update('SUBJ', 'encode', d * 2000, 10000);
  for (let d = 1; d <= 410; d++) p.update('SUBJ', 'fit', d, 410);
  p.log('SUBJ: acc 91.2 (40.0s)');
  p.startTask(4, 10, 'SICK-R');
  p.update('SICK-R', 'fit', 1, 1);
  p.status('loading…'); // transient lines are for terminals only
  p.done();
  assert.equal(out(), 'task 3/10 SUBJ: encode 10000 sentences\ntask 3/10 SUBJ: fit 410 probes\nSUBJ: acc 91.2 (40.0s)\ntask 4/10 SICK-R: fit 1 probe\n');
  assert.doesNotMatch(out(), /\r/);
});

test('on a terminal: one redrawn line with the run position, counts with units, ETAs; status lines while loading', () => {
  const { p, out } = capture(true, true);
  p.status('loading the bow encoder…');
  p.startTask(3, 10, 'SUBJ');
  p.update('SUBJ', 'fit', 4, 410);
  const text = out();
  assert.match(text, /^\r\x1b\[2Kloading the bow encoder…/);
  assert.match(text, /\r\x1b\[2Ktask 3\/10 SUBJ · fit 4\/410 probes · \d+\.\ds · ETA \d/);
  assert.match(text, /run ETA ≈/);
  p.log('done');
  assert.ok(out().endsWith('\r\x1b[2Kdone\n'), JSON.stringify(out().slice(-30)));
  assert.equal(phaseUnit('fit (seed 1112)'), 'probes');
  assert.equal(phaseUnit('encode'), 'sentences');
  const off = capture(false, true);
  off.p.update('SUBJ', 'fit', 4, 410);
  off.p.status('x');
  off.p.log('y');
  assert.equal(off.out(), '');
});

test('metrics in progress lines are rounded to 4 digits', () => {
  assert.equal(fmtMetric(0.5838001796676452), '0.5838');
  assert.equal(fmtMetric(72.64), '72.64');
});

test('evaluate in a log (no terminal) prints its phases by default; --no-progress silences them', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-prog-'));
  try {
    const base = ['evaluate', '--data-dir', join(repoRoot(), 'test', 'fixtures', 'tasks', 'data'), '--tasks', 'SNLI,Quora', '--config', 'fast'];
    const env = { GENSEN_EVAL_CACHE: join(tmp, 'cache') };
    const r = runCli([...base, '--out', join(tmp, 'a.json')], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^task 1\/2 SNLI: encode \d+ sentences$/m);
    assert.match(r.stderr, /^task 1\/2 SNLI: fit \d+ probes?$/m);
    assert.match(r.stderr, /^task 2\/2 Quora: fit \d+ probes?$/m);
    assert.match(r.stderr, /^SNLI: acc [\d.]+ \(/m);
    assert.doesNotMatch(r.stderr, /\r/);
    const q = runCli([...base, '--no-progress', '--out', join(tmp, 'b.json')], env);
    assert.equal(q.status, 0, q.stderr);
    assert.equal(q.stderr, '');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
