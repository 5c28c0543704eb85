import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, senteval } from '../helpers/data.js';
import { runCli } from '../helpers/cli.js';
import { differs } from '../helpers/diff.js';

// SimCSE's STS table from SimCSE's own copy of SentEval (evaluation.py --mode test's params and
// print, the bow batcher over the same embedded vectors): scripts/reference/simcse_sts_reference.py.
const reference = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'sts', 'simcse-bow-reference.json'), 'utf8')) as {
  simcse: string;
  table: { columns: string[]; scores: string[] };
};
// The bar: every cell of the table to 0.05 points.
// 0.05 points, with room for the binary representation of two 2-decimal cells (50.86 − 50.81 > 0.05 in floats).
const TOL = 0.05 + 1e-9;

test("evaluate --tasks sts7 + leaderboard --view sts7 (bow) reproduce SimCSE's SentEval table, every cell to 0.05 points", (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-sts7-'));
  try {
    const out = join(tmp, 'bow-sts7.json');
    const ev = runCli(['evaluate', '--encoder', 'bow', '--tasks', 'sts7', '--data-dir', dataDir, '--out', out, '--no-cache']);
    assert.equal(ev.status, 0, ev.stderr);
    const lb = runCli(['leaderboard', out, '--view', 'sts7', '--format', 'csv']);
    assert.equal(lb.status, 0, lb.stderr);
    const [head, row] = lb.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    // Same columns as SimCSE prints, then its average.
    assert.deepEqual(head!.slice(1), reference.table.columns);
    // A cell must be a printed number: an empty or odd one is NaN, which fails below.
    const num = (s: string | undefined) => (s !== undefined && /^-?\d+\.\d{2}$/.test(s) ? Number(s) : NaN);
    let worst = 0;
    reference.table.scores.forEach((want, i) => {
      const ours = num(row![i + 1]);
      const theirs = num(want);
      // NaN (an empty or missing cell) fails: differs() counts it as a difference.
      assert.ok(!differs(ours, theirs, TOL), `${reference.table.columns[i]}: ours ${row![i + 1]}, SimCSE's SentEval ${want}`);
      worst = Math.max(worst, Math.abs(ours - theirs));
    });
    t.diagnostic(`ours    ${row!.slice(1).join(' ')}`);
    t.diagnostic(`SimCSE  ${reference.table.scores.join(' ')} (${reference.simcse.slice(0, 7)}); max cell difference ${worst.toFixed(2)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
