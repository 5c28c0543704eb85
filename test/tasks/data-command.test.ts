import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import yargs from 'yargs';
import { dataCommand, runGet, runVerify } from '../../src/cli/data.js';
import { dataDirWithout } from '../helpers/data.js';
import { realDataDir } from './helpers.js';

const AVAILABLE = 'MR,CR,SUBJ,MPQA,SST2,TREC,MRPC,SICK-R,SICK-E,STS-B,Quora,SST5,STS12,STS13,STS14,STS15,STS16';

function collect(): { log: (l: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (l) => lines.push(l), lines };
}

test('data verify on the real folder: every available task present with matching checksums', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  const c = collect();
  const rc = await runVerify({ 'data-dir': dir, tasks: AVAILABLE, 'quora-dev-as-train': true }, c.log);
  assert.equal(rc, 0, c.lines.join('\n'));
  assert.equal(c.lines.filter((l) => / ok +\d+ files? present, checksums match/.test(l)).length, 17, c.lines.join('\n'));
  assert.equal(c.lines.at(-1), 'all 17 tasks ok');
  // An STS year is its datasets' input and gold files (2013: no SMT, which SentEval does not read).
  assert.match(c.lines.find((l) => l.startsWith('STS13 ')) ?? '', / ok +6 files present, checksums match/);

  // Without SNLI, MultiNLI and Quora's training split (made so, whatever the real folder holds).
  const parent = await mkdtemp(join(tmpdir(), 'gensen-eval-verify-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const partial = dataDirWithout(dir, ['SNLI', 'MNLI', 'QUORA/train.tsv', 'QUORA/train.txt'], parent);
  const all = collect();
  assert.equal(await runVerify({ 'data-dir': partial }, all.log), 1);
  const line = (id: string): string => all.lines.find((l) => l.startsWith(`${id} `)) ?? '';
  assert.match(line('SNLI'), /missing +missing SNLI\/s1\.train, SNLI\/s2\.train, SNLI\/labels\.train/);
  assert.match(line('MultiNLI'), /missing MNLI\/multinli_1\.0_train\.jsonl/);
  assert.match(line('Quora'), /missing QUORA\/train\.tsv or QUORA\/train\.txt \(or pass --quora-dev-as-train\)/);
  assert.match(line('STS-B'), / ok /);
  assert.equal(all.lines.at(-1), '3 of 21 tasks missing data or failing checksums');
});

test('data get --from copies a SentEval-layout folder, then verify catches a changed byte and a missing file', async (t) => {
  const real = realDataDir(t);
  if (real === undefined) return;
  const dst = await mkdtemp(join(tmpdir(), 'gensen-eval-data-'));
  const parent = await mkdtemp(join(tmpdir(), 'gensen-eval-data-src-'));
  try {
    // A source without Quora's training split (made so: a complete folder has one).
    const src = dataDirWithout(real, ['QUORA/train.tsv', 'QUORA/train.txt'], parent);
    const args = { from: src, 'data-dir': dst, tasks: 'MR,TREC,STS-B,Quora', 'quora-dev-as-train': true };
    const first = collect();
    assert.equal(await runGet(args, first.log), 0, first.lines.join('\n'));
    assert.ok(first.lines.includes('copied 11 files, 0 already present, into ' + dst), first.lines.join('\n'));
    assert.ok(first.lines.some((l) => l.startsWith('not in ') && l.includes('QUORA/train.tsv or QUORA/train.txt')));
    assert.ok(existsSync(join(dst, 'STS/STSBenchmark/LICENSE.txt')), 'licence travels with STS-B');
    assert.equal((await stat(join(dst, 'TREC/TREC_10.label'))).mode & 0o200, 0o200, 'copies are writable');

    const again = collect();
    assert.equal(await runGet(args, again.log), 0);
    assert.ok(again.lines.includes('copied 0 files, 11 already present, into ' + dst), again.lines.join('\n'));

    const f = join(dst, 'TREC/TREC_10.label');
    const bytes = await readFile(f);
    bytes[100] ^= 0x01;
    await writeFile(f, bytes);
    await rm(join(dst, 'MR/rt-polarity.neg'));
    const bad = collect();
    assert.equal(await runVerify({ 'data-dir': dst, tasks: 'MR,TREC,STS-B' }, bad.log), 1);
    assert.match(bad.lines.find((l) => l.startsWith('TREC')) ?? '', /^TREC +mismatch +checksum mismatch TREC\/TREC_10\.label$/);
    assert.match(bad.lines.find((l) => l.startsWith('MR')) ?? '', /^MR +missing +missing MR\/rt-polarity\.neg$/);
    assert.match(bad.lines.find((l) => l.startsWith('STS-B')) ?? '', / ok /);
  } finally {
    await rm(dst, { recursive: true, force: true });
    await rm(parent, { recursive: true, force: true });
  }
});

test('the yargs command module wires verify and its options', async (t) => {
  const dir = realDataDir(t);
  if (dir === undefined) return;
  // The handler prints to stdout (left alone: the test runner reports over it) and sets the exit code.
  const before = process.exitCode;
  try {
    process.exitCode = undefined;
    await yargs(['data', 'verify', '--data-dir', dir, '--tasks', 'sickentailment']).command(dataCommand).strict().parseAsync();
    assert.equal(process.exitCode, 0);
    const parent = await mkdtemp(join(tmpdir(), 'gensen-eval-verify-'));
    t.after(() => rm(parent, { recursive: true, force: true }));
    const noSnli = dataDirWithout(dir, ['SNLI'], parent);
    await yargs(['data', 'verify', '--data-dir', noSnli, '--tasks', 'SNLI']).command(dataCommand).strict().parseAsync();
    assert.equal(process.exitCode, 1);
    await yargs(['data', 'verify', '--tasks', 'nope']).command(dataCommand).strict().parseAsync();
    assert.equal(process.exitCode, 2, 'unknown task: user error exit code');
  } finally {
    process.exitCode = before;
  }
});
