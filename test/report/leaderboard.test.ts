import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLeaderboard } from '../../src/report/leaderboard.js';
import { renderCsv, renderMarkdown } from '../../src/report/leaderboard-text.js';
import { renderHtml } from '../../src/report/leaderboard-html.js';
import { availableReferenceSets, loadReferenceSet } from '../../src/report/reference.js';
import { leaderboardCommand } from '../../src/cli/leaderboard.js';
import { UserError } from '../../src/util/errors.js';
import { fixture, load } from './fixtures.js';
import { runCli } from './run-cli.js';

const refs = () => ['gensen', 'baselines'].map(loadReferenceSet);

test('reference sets: every cell has a source; the verified GenSen cells and the unverified ones', () => {
  assert.deepEqual(availableReferenceSets(), ['baselines', 'gensen', 'sts']);
  for (const set of refs()) {
    for (const row of set.rows) {
      assert.ok(row.encoder && row.protocol, row.id);
      for (const c of row.cells) assert.ok(c.source.length > 10, `${row.id} ${c.task}`);
    }
  }
  const g = loadReferenceSet('gensen').rows[0];
  const cell = (t: string, m: string) => g.cells.find((c) => c.task === t && c.metric === m)!;
  assert.equal(cell('MRPC', 'acc').value, 78.6);
  assert.equal(cell('SICK-R', 'pearson').value, 0.888);
  assert.equal(cell('STS-B', 'spearman').value, 0.786);
  assert.equal(cell('SICK-E', 'acc').verified, true);
  assert.equal(cell('MultiNLI', 'acc').verified, false);
  assert.equal(cell('MultiNLI', 'acc_mismatched').value, 71.3);
  assert.equal(cell('Quora', 'acc').verified, false);
  assert.match(cell('MultiNLI', 'acc').source, /GLUE/);
  const b = loadReferenceSet('baselines');
  assert.deepEqual(b.rows.map((r) => r.id), ['fastText-BoV', 'SkipThought-LN', 'InferSent-GloVe', 'InferSent-fastText']);
  assert.equal(b.rows[1].cells.some((c) => c.task === 'MRPC'), false); // SkipThought-LN has no MRPC
});

test('columns in Table 2 order, correlations ×100, best marked, average over shared tasks', () => {
  const lb = buildLeaderboard([load('base.json'), load('borep.json')], refs());
  assert.deepEqual(lb.columns.map((c) => c.header), ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC acc', 'MRPC F1', 'SICK-R', 'SICK-E', 'STS-B r', 'STS-B ρ', 'MNLI-m', 'MNLI-mm', 'Quora']);
  const row = (id: string) => lb.rows.find((r) => r.id === id)!;
  assert.ok(Math.abs(row('base').cells['STS-B.pearson'].value - 58.5) < 1e-9);
  assert.ok(Math.abs(row('GenSen+Par').cells['SICK-R.pearson'].value - 88.8) < 1e-9);
  // SICK-R best is a tie between GenSen and InferSent fastText (0.888 both).
  assert.equal(row('GenSen+Par').cells['SICK-R.pearson'].best, true);
  assert.equal(row('InferSent-fastText').cells['SICK-R.pearson'].best, true);
  assert.equal(row('InferSent-GloVe').cells['SICK-R.pearson'].best, false);
  assert.equal(row('InferSent-GloVe').cells['MR.acc'].best, true);
  // GenSen's row has only MRPC, SICK-R, SICK-E, STS-B and the unverified extras; SkipThought lacks MRPC.
  assert.deepEqual(lb.averageTasks, ['SICK-R', 'SICK-E', 'STS-B r']);
  assert.ok(Math.abs(row('base').average! - (75.51 + 76.2 + 58.5) / 3) < 1e-9);
  assert.ok(Math.abs(row('GenSen+Par').average! - (88.8 + 87.8 + 78.9) / 3) < 1e-9);
  assert.equal(row('GenSen+Par').cells['MultiNLI.acc'].verified, false);
  assert.equal(lb.mixed, false);
});

test('runs only: the average covers every task they share; a missing task leaves a gap', () => {
  const lb = buildLeaderboard([load('base.json'), load('missing-task.json')], []);
  assert.deepEqual(lb.averageTasks, ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'MRPC acc', 'SICK-R', 'SICK-E', 'STS-B r']);
  assert.equal(lb.rows[1].cells['TREC.acc'], undefined);
  const md = renderMarkdown(lb);
  assert.match(md, /\| missing-task \(bow\) \| A \| [^\n]*\| \*\*76\.0\*\* \| – \| \*\*71\.3\*\* \|/);
  // A column only one row fills has no "best".
  assert.match(md, /\| base \(bow\) \| A \| [^\n]*\| \*\*76\.0\*\* \| 71\.0 \| \*\*71\.3\*\* \|/);
});

test('differences to a baseline row', () => {
  const lb = buildLeaderboard([load('base.json'), load('borep.json')], refs(), { baseline: 'base' });
  const borep = lb.rows.find((r) => r.id === 'borep')!;
  assert.ok(Math.abs(borep.cells['TREC.acc'].diff! - 9.2) < 1e-9);
  assert.ok(Math.abs(borep.cells['SICK-R.pearson'].diff! - 2.59) < 1e-9);
  assert.equal(lb.rows[0].cells['MR.acc'].diff, undefined); // not against itself
  const gensen = lb.rows.find((r) => r.id === 'GenSen+Par')!;
  assert.equal(gensen.cells['MultiNLI.acc'].diff, undefined); // the baseline has no MultiNLI
  assert.match(renderMarkdown(lb), /\| borep \(borep\) \| A \| 75\.0 \(\+1\.9\) \|/);
  assert.throws(() => buildLeaderboard([load('base.json')], [], { baseline: 'nope' }), (e: unknown) => e instanceof UserError && /no such row; rows are base/.test(e.message));
});

test('mixed fingerprints are marked, explained, and refused under strict', () => {
  const lb = buildLeaderboard([load('base.json'), load('fast.json'), load('other-data.json')], []);
  assert.equal(lb.mixed, true);
  assert.deepEqual(lb.groups.map((g) => [g.letter, g.runs]), [['A', ['base', 'other-data']], ['B', ['fast']]]);
  assert.deepEqual(lb.protocolDifferences, ['batchSize', 'config', 'epochSize', 'kfold', 'optim', 'tenacity']);
  const sst = lb.mixedTasks.find((m) => m.task === 'SST2')!;
  assert.equal(sst.reasons.length, 2);
  assert.match(sst.reasons[1], /base vs other-data: data SST\/binary\/sentiment-train/);
  assert.equal(lb.rows[0].cells['SST2.acc'].mixed, true);
  const md = renderMarkdown(lb);
  assert.match(md, /76\.0‡/);
  assert.match(md, /Protocol groups: A = base, other-data; B = fast/);
  assert.throws(
    () => buildLeaderboard([load('base.json'), load('other-data.json')], [], { strict: true }),
    (e: unknown) => e instanceof UserError && e.exitCode === 2 && /--strict: .*SST2 \(base vs other-data: data SST/.test(e.message),
  );
  // Same protocol and data: strict is happy.
  assert.equal(buildLeaderboard([load('base.json'), load('borep.json'), load('old-format.json')], [], { strict: true }).mixed, false);
});

test('CSV: plain numbers, marks in their own columns', () => {
  const lb = buildLeaderboard([load('base.json'), load('borep.json')], [loadReferenceSet('gensen')], { baseline: 'base' });
  const lines = renderCsv(lb).trimEnd().split('\n');
  const head = lines[0].split(',');
  assert.deepEqual(head.slice(0, 4), ['model', 'kind', 'protocol_group', 'MR']);
  assert.ok(head.includes('TREC_diff') && head.includes('avg_diff'));
  assert.equal(lines.length, 4);
  const gensen = lines[3].split(',');
  assert.equal(gensen[0], 'GenSen+Par');
  assert.equal(gensen[head.indexOf('SICK-R')], '88.8');
  assert.equal(gensen[head.indexOf('MR')], '');
  assert.equal(gensen[head.indexOf('unverified')], 'MNLI-m;MNLI-mm;Quora');
  const borep = lines[2].split(',');
  assert.equal(borep[head.indexOf('TREC_diff')], '9.2');
});

test('HTML: self-contained (no external resource), table, chart, configuration', () => {
  const lb = buildLeaderboard([load('base.json'), load('borep.json'), load('fast.json')], refs(), { baseline: 'base' });
  const html = renderHtml(lb);
  assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//);
  assert.doesNotMatch(html, /@import|url\(/);
  assert.match(html, /<table id="leaderboard">/);
  assert.match(html, /<svg [^>]*role="img"/);
  assert.equal((html.match(/<tr class="(run|reference)">/g) ?? []).length, 3 + 5);
  assert.match(html, /<dt>protocol\.kfold<\/dt><dd>5<\/dd>/);
  assert.match(html, /<dt>encoder<\/dt><dd>borep \(4096-d\)<\/dd>/);
  assert.match(html, /Runs were measured under different protocols/);
});

test('CLI: formats, --out, bad input exit 2', async () => {
  const md = await runCli(leaderboardCommand, ['leaderboard', fixture('base.json'), fixture('borep.json'), '--reference', 'gensen']);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^\| Model \| Protocol \| MR \|/);
  const dir = mkdtempSync(join(tmpdir(), 'lb-'));
  const out = join(dir, 'lb.html');
  const html = await runCli(leaderboardCommand, ['leaderboard', fixture('base.json'), '--format', 'html', '--out', out]);
  assert.equal(html.code, 0, html.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
  const csv = await runCli(leaderboardCommand, ['leaderboard', fixture('base.json'), '--format', 'csv']);
  assert.match(csv.stdout, /^model,kind,/);
  for (const args of [
    ['leaderboard', fixture('bad-json.json')],
    ['leaderboard', fixture('nope.json')],
    ['leaderboard', fixture('base.json'), '--reference', 'nosuchset'],
    ['leaderboard', fixture('base.json'), fixture('fast.json'), '--strict'],
    ['leaderboard'],
  ]) {
    const r = await runCli(leaderboardCommand, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /gensen-eval: /);
  }
  const mixed = await runCli(leaderboardCommand, ['leaderboard', fixture('base.json'), fixture('fast.json')]);
  assert.equal(mixed.code, 0);
  assert.match(mixed.stderr, /warning: runs were measured under different protocols/);
});
