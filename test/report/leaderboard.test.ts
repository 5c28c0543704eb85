import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLeaderboard } from '../../src/report/leaderboard.js';
import { renderCsv, renderCsvLong, renderMarkdown } from '../../src/report/leaderboard-text.js';
import { renderHtml, rowStyles } from '../../src/report/leaderboard-html.js';
import { availableReferenceSets, loadReferenceSet } from '../../src/report/reference.js';
import { UserError } from '../../src/util/errors.js';
import { fixture, load } from './fixtures.js';
import { runCli } from '../helpers/cli.js';

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
  assert.deepEqual(
    b.rows.map((r) => r.id),
    ['fastText-BoV', 'SkipThought-LN', 'InferSent-GloVe', 'InferSent-fastText'],
  );
  assert.equal(
    b.rows[1].cells.some((c) => c.task === 'MRPC'),
    false,
  ); // SkipThought-LN has no MRPC
});

test('columns in Table 2 order, correlations ×100, best marked, average over shared tasks', () => {
  const lb = buildLeaderboard([load('base.json'), load('borep.json')], refs());
  assert.deepEqual(
    lb.columns.map((c) => c.header),
    ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC acc', 'MRPC F1', 'SICK-R', 'SICK-E', 'STS-B r', 'STS-B ρ', 'MNLI-m', 'MNLI-mm', 'Quora'],
  );
  const row = (id: string) => lb.rows.find((r) => r.id === id)!;
  assert.ok(Math.abs(row('base').cells['STS-B.pearson'].value - 58.5) < 1e-9);
  assert.ok(Math.abs(row('GenSen+Par').cells['SICK-R.pearson'].value - 88.8) < 1e-9);
  // SICK-R best is a tie between GenSen and InferSent fastText (0.888 both).
  assert.equal(row('GenSen+Par').cells['SICK-R.pearson'].best, true);
  assert.equal(row('InferSent-fastText').cells['SICK-R.pearson'].best, true);
  assert.equal(row('InferSent-GloVe').cells['SICK-R.pearson'].best, false);
  assert.equal(row('InferSent-GloVe').cells['MR.acc'].best, true);
  // GenSen's row has only MRPC, SICK-R, SICK-E, STS-B and the unverified extras; SkipThought lacks MRPC.
  assert.deepEqual(lb.commonTasks, ['SICK-R', 'SICK-E', 'STS-B r']);
  assert.ok(Math.abs(row('base').commonAverage! - (75.51 + 76.2 + 58.5) / 3) < 1e-9);
  assert.ok(Math.abs(row('GenSen+Par').commonAverage! - (88.8 + 87.8 + 78.9) / 3) < 1e-9);
  // Each row's own Avg covers the tasks it has: base has all ten Table 2 tasks it ran, GenSen's
  // published row has MRPC, SICK-R, SICK-E, STS-B, MNLI, Quora (6 of the 12 main columns).
  assert.equal(lb.taskCount, 12);
  assert.equal(row('base').coverage, 10);
  assert.equal(row('GenSen+Par').coverage, 6);
  const g = row('GenSen+Par');
  assert.ok(Math.abs(g.average! - (78.6 + 88.8 + 87.8 + 78.9 + 71.4 + 87.6) / 6) < 0.2, String(g.average));
  const base = load('base.json').results.tasks;
  const mainOf = (t: string, m: string, scale = 1) => base[t]!.metrics[m]! * scale;
  const own = ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC', 'SICK-E']
    .map((t) => mainOf(t, 'acc'))
    .concat([mainOf('SICK-R', 'pearson', 100), mainOf('STS-B', 'pearson', 100)]);
  assert.ok(Math.abs(row('base').average! - own.reduce((a, b) => a + b, 0) / 10) < 1e-9);
  const md = renderMarkdown(lb);
  assert.match(md, /\| Avg \| Tasks \| Common avg \|/);
  assert.match(md, /\| base \(bow\) \|[^\n]*\| 10\/12 \| 70\.1 \|/);
  assert.match(md, /Common avg: mean main score over the 3 tasks every row has \(SICK-R, SICK-E, STS-B r\)/);
  assert.equal(row('GenSen+Par').cells['MultiNLI.acc'].verified, false);
  assert.equal(lb.mixed, false);
});

test('runs only: the average covers every task they share; a missing task leaves a gap', () => {
  const lb = buildLeaderboard([load('base.json'), load('missing-task.json')], []);
  assert.deepEqual(lb.commonTasks, ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'MRPC acc', 'SICK-R', 'SICK-E', 'STS-B r']);
  // A partial run does not drag the other row's own average down to the common subset.
  assert.equal(lb.rows[0].coverage, 10);
  assert.equal(lb.rows[1].coverage, 9);
  assert.notEqual(lb.rows[0].average, lb.rows[0].commonAverage);
  assert.equal(lb.rows[1].cells['TREC.acc'], undefined);
  const md = renderMarkdown(lb);
  assert.match(md, /\| missing-task \(bow\) \| A \| [^\n]*\| \*\*76\.0\*\* \| – \| \*\*71\.3\*\* \|[^\n]*\| 9\/10 \|/);
  // A column only one row fills has no "best".
  assert.match(md, /\| base \(bow\) \| A \| [^\n]*\| \*\*76\.0\*\* \| 71\.0 \| \*\*71\.3\*\* \|[^\n]*\| 10\/10 \|/);
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
  assert.throws(
    () => buildLeaderboard([load('base.json')], [], { baseline: 'nope' }),
    (e: unknown) => e instanceof UserError && /no such row; rows are base/.test(e.message),
  );
});

test('mixed fingerprints are marked, explained, and refused under strict', () => {
  const lb = buildLeaderboard([load('base.json'), load('fast.json'), load('other-data.json')], []);
  assert.equal(lb.mixed, true);
  assert.deepEqual(
    lb.groups.map((g) => [g.letter, g.runs]),
    [
      ['A', ['base', 'other-data']],
      ['B', ['fast']],
    ],
  );
  assert.deepEqual(lb.protocolDifferences, ['batchSize', 'config', 'epochSize', 'kfold', 'optim', 'tenacity']);
  const sst = lb.mixedTasks.find((m) => m.task === 'SST2')!;
  assert.equal(sst.reasons.length, 2);
  assert.match(sst.reasons[1], /base vs other-data: data SST\/binary\/sentiment-train/);
  assert.equal(lb.rows[0].cells['SST2.acc'].mixed, true);
  const md = renderMarkdown(lb);
  assert.match(md, /76\.0‡/);
  assert.match(md, /Protocol groups: A = base, other-data; B = fast/);
  // paper vs fast differ only in classifier settings; the relatedness tasks do not see them.
  assert.match(md, /SICK-R and STS-B use SentEval's relatedness trainer .* which ignores batchSize, epochSize, kfold, optim, tenacity: those differences/);
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
  assert.ok(head.includes('TREC_diff') && head.includes('avg_common_diff'));
  assert.deepEqual(head.slice(head.indexOf('avg'), head.indexOf('avg') + 3), ['avg', 'tasks', 'avg_common']);
  assert.equal(head.includes('MR_std'), false); // no run has several seeds
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

test('CLI: formats, --out, bad input exit 2', async (t) => {
  const md = runCli(['leaderboard', fixture('base.json'), fixture('borep.json'), '--reference', 'gensen']);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^\| Model \| Protocol \| MR \|/);
  const dir = mkdtempSync(join(tmpdir(), 'lb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'lb.html');
  const html = runCli(['leaderboard', fixture('base.json'), '--format', 'html', '--out', out]);
  assert.equal(html.status, 0, html.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
  const csv = runCli(['leaderboard', fixture('base.json'), '--format', 'csv']);
  assert.match(csv.stdout, /^model,kind,/);
  const long = runCli(['leaderboard', fixture('base.json'), '--format', 'csv-long']);
  assert.equal(long.status, 0, long.stderr);
  assert.match(long.stdout, /^model,kind,protocol_group,encoder,task,metric,/);
  assert.match(long.stdout, /\nbase,run,A,bow,MR,acc,MR,/);
  for (const args of [
    ['leaderboard', fixture('bad-json.json')],
    ['leaderboard', fixture('nope.json')],
    ['leaderboard', fixture('base.json'), '--reference', 'nosuchset'],
    ['leaderboard', fixture('base.json'), fixture('fast.json'), '--strict'],
    ['leaderboard'],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /gensen-eval: /);
  }
  const mixed = runCli(['leaderboard', fixture('base.json'), fixture('fast.json')]);
  assert.equal(mixed.status, 0);
  assert.match(mixed.stderr, /warning: runs were measured under different protocols/);
});

test('seed spread: ± in markdown, CSV _std columns, long CSV std, HTML cell and error bar', () => {
  const lb = buildLeaderboard([load('seeds.json'), load('base.json')], []);
  const seeds = lb.rows[0];
  assert.equal(seeds.cells['SST2.acc'].std, 0.501);
  assert.equal(seeds.cells['SST2.acc'].seeds, 3);
  assert.ok(Math.abs(seeds.cells['SICK-R.pearson'].std! - 0.0611) < 1e-12); // ×100 like the value
  assert.equal(seeds.cells['MR.acc'].std, undefined);
  assert.equal(lb.rows[1].cells['SST2.acc'].std, undefined);
  const md = renderMarkdown(lb);
  assert.match(md, /75\.9±0\.5/);
  assert.match(md, /±x: sample standard deviation over seeds/);
  const csv = renderCsv(lb).trimEnd().split('\n');
  const head = csv[0].split(',');
  assert.equal(csv[1].split(',')[head.indexOf('SST2_std')], '0.501');
  assert.equal(csv[2].split(',')[head.indexOf('SST2_std')], '');
  const long = renderCsvLong(lb).trimEnd().split('\n');
  const lh = long[0].split(',');
  const sst = long.find((l) => l.startsWith('seeds,') && l.includes(',SST2,acc,'))!.split(',');
  assert.equal(sst[lh.indexOf('std')], '0.501');
  assert.equal(sst[lh.indexOf('seeds')], '3');
  const html = renderHtml(lb);
  assert.match(html, /75\.9<span class="sd">±0\.5<\/span>/);
  assert.equal((html.match(/class="errbar"/g) ?? []).length, 2); // SST2 and SICK-R of the seeds run
});

/** RFC 4180 fields of one line (quoted fields may hold commas). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (line[q + 1] === '"') {
          v += line.slice(i, q + 1);
          i = q + 2;
        } else {
          v += line.slice(i, q);
          i = q + 2;
          break;
        }
      }
      out.push(v);
    } else {
      const c = line.indexOf(',', i);
      const end = c < 0 ? line.length : c;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

test("long CSV: one line per row × column with machine ids, then each row's averages", () => {
  const lb = buildLeaderboard([load('base.json'), load('missing-task.json')], [loadReferenceSet('gensen')], { baseline: 'base' });
  const lines = renderCsvLong(lb).trimEnd().split('\n');
  assert.equal(lines[0], 'model,kind,protocol_group,encoder,task,metric,header,value,scale,std,seeds,diff,best,verified,mixed,tasks');
  const rows = lines.slice(1).map(csvFields);
  const cells = lb.rows.reduce((n, r) => n + Object.keys(r.cells).filter((id) => lb.columns.some((c) => c.id === id)).length, 0);
  const averages = lb.rows.reduce((n, r) => n + (r.average === undefined ? 0 : 1) + (r.commonAverage === undefined ? 0 : 1), 0);
  assert.equal(rows.length, cells + averages);
  const stsb = rows.find((f) => f[0] === 'base' && f[4] === 'STS-B' && f[5] === 'pearson')!;
  assert.deepEqual(stsb.slice(0, 9), ['base', 'run', 'A', 'bow', 'STS-B', 'pearson', 'STS-B r', '58.5', 'correlation_x100']);
  const trec = rows.find((f) => f[0] === 'missing-task' && f[4] === 'TREC');
  assert.equal(trec, undefined); // absent, not an empty value
  const g = rows.find((f) => f[0] === 'GenSen+Par' && f[4] === 'MultiNLI' && f[5] === 'acc')!;
  assert.equal(g[lines[0].split(',').indexOf('verified')], 'false');
  assert.ok(
    rows.every((f) => f.length === 16),
    'every line has 16 fields',
  );
  const avg = rows.find((f) => f[0] === 'missing-task' && f[5] === 'avg')!;
  assert.equal(avg[15], '9');
  assert.equal(rows.filter((f) => f[5] === 'avg_common').length, 3);
});

test('HTML: a model keeps its colour and marker whatever rows sit beside it', () => {
  const a = rowStyles(['base', 'borep', 'GenSen+Par']);
  const b = rowStyles(['borep', 'fast', 'InferSent-GloVe', 'SkipThought-LN', 'base']);
  assert.deepEqual(a.get('borep'), b.get('borep'));
  assert.deepEqual(a.get('base'), b.get('base'));
  // Every row on a page gets its own (colour, shape) pair.
  const many = rowStyles(Array.from({ length: 30 }, (_, i) => `run-${i}`));
  assert.equal(new Set([...many.values()].map((s) => `${s.color}/${s.shape}`)).size, 30);
  // (Ties spread over lanes are checked on the rendered page in leaderboard-browser.test.ts.)
});
