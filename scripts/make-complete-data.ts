/**
 * Builds a data folder that holds every task's files, to prove the test suite passes on one (what a
 * real user has) and not only on this machine's, which lacks SNLI, MultiNLI and Quora's training split.
 *
 *   node dist/scripts/make-complete-data.js --out DIR [--from $SENTEVAL_DATA]
 *   SENTEVAL_DATA=DIR CI=true npm test
 *
 * Every file of the source folder is linked, not copied (a folder wholly, where nothing is added to it).
 * The missing files are written small, in their upstream formats, from the source's own sentence pairs:
 * - SNLI/{s1,s2,labels}.{train,dev,test}: SentEval's files, one sentence or label per line, from
 *   SICK's train/trial/test pairs and entailment judgments (labels entailment, neutral, contradiction);
 * - MNLI/multinli_1.0_{train,dev_matched,dev_mismatched}.jsonl: MultiNLI 1.0's JSON lines (gold_label,
 *   sentence1, sentence2, genre, pairID, …), train from every SICK pair and its swap (over the 10,000
 *   rows the harness holds out of train), a few unlabelled ('-') rows in each file;
 * - QUORA/train.tsv: BiMPM's `label\tq1\tq2\tid` rows, from MRPC's training pairs.
 * Their scores mean nothing; they exist so that no test can depend on a task's data being absent.
 * A file that already exists in the source is linked, never replaced.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const outArg = option('out');
if (!outArg) {
  process.stderr.write('usage: make-complete-data --out DIR [--from SENTEVAL_DATA]\n');
  process.exit(2);
}
const from = resolve(option('from') ?? process.env.SENTEVAL_DATA ?? resolve('..', 'shared', 'senteval-data'));
const out = resolve(outArg);
if (!existsSync(join(from, 'SICK', 'SICK_train.txt')) || !existsSync(join(from, 'MRPC', 'msr_paraphrase_train.txt'))) {
  process.stderr.write(`make-complete-data: ${from} lacks SICK/SICK_train.txt or MRPC/msr_paraphrase_train.txt (--from or SENTEVAL_DATA)\n`);
  process.exit(2);
}
if (existsSync(out) && readdirSync(out).length > 0) {
  process.stderr.write(`make-complete-data: ${out} exists and is not empty\n`);
  process.exit(2);
}

interface Pair {
  a: string;
  b: string;
  label: string;
}

/** SICK rows: pair_ID, sentence_A, sentence_B, relatedness_score, entailment_judgment (header first). */
function sick(file: string): Pair[] {
  const lines = readFileSync(join(from, 'SICK', file), 'utf8')
    .split('\n')
    .slice(1);
  return lines
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split('\t');
      return { a: f[1]!, b: f[2]!, label: f[4]!.trim().toLowerCase() };
    });
}

/** MRPC rows: Quality, #1 ID, #2 ID, #1 String, #2 String (header first). */
function mrpc(file: string): Pair[] {
  const lines = readFileSync(join(from, 'MRPC', file), 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .slice(1);
  return lines
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split('\t');
      return { a: f[3]!, b: f[4]!, label: f[0]! };
    });
}

const written: string[] = [];
function write(rel: string, text: string): void {
  if (existsSync(join(from, rel))) return;
  const path = join(out, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  written.push(rel);
}

const splits = { train: sick('SICK_train.txt'), dev: sick('SICK_trial.txt'), test: sick('SICK_test_annotated.txt') };

for (const [split, pairs] of Object.entries(splits)) {
  write(`SNLI/s1.${split}`, pairs.map((p) => `${p.a}\n`).join(''));
  write(`SNLI/s2.${split}`, pairs.map((p) => `${p.b}\n`).join(''));
  write(`SNLI/labels.${split}`, pairs.map((p) => `${p.label}\n`).join(''));
}

const GENRES = ['fiction', 'government', 'slate', 'telephone', 'travel'];
function jsonl(pairs: Pair[], tag: string, genres: string[]): string {
  const rows = pairs.map((p, i) => ({
    annotator_labels: [p.label],
    genre: genres[i % genres.length],
    gold_label: i % 97 === 5 ? '-' : p.label,
    pairID: `${tag}${i}`,
    promptID: `${tag}${Math.floor(i / 3)}`,
    sentence1: p.a,
    sentence2: p.b,
  }));
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
const every = [...splits.train, ...splits.dev, ...splits.test];
const swapped = every.map((p) => ({ a: p.b, b: p.a, label: p.label }));
write('MNLI/multinli_1.0_train.jsonl', jsonl([...every, ...swapped], 't', GENRES));
const half = Math.floor(splits.test.length / 2);
write('MNLI/multinli_1.0_dev_matched.jsonl', jsonl(splits.test.slice(0, half), 'm', GENRES));
write('MNLI/multinli_1.0_dev_mismatched.jsonl', jsonl(splits.test.slice(half), 'mm', ['letters', 'nineeleven', 'oup', 'verbatim']));

const quoraTrain = existsSync(join(from, 'QUORA', 'train.txt')) ? [] : mrpc('msr_paraphrase_train.txt');
if (quoraTrain.length > 0) write('QUORA/train.tsv', quoraTrain.map((p, i) => `${p.label}\t${p.a}\t${p.b}\t${i + 1}\n`).join(''));

/** Links every entry of the source under `rel`, descending only into folders that received a written file. */
function link(rel: string): number {
  let n = 0;
  for (const name of readdirSync(join(from, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    const target = join(out, r);
    if (existsSync(target) && lstatSync(target).isDirectory()) n += link(r);
    else if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(from, r), target);
      n++;
    }
  }
  return n;
}
const linked = link('');
process.stdout.write(`${out}: linked ${linked} entries of ${from}; wrote ${written.length} files (${written.join(', ')})\n`);
