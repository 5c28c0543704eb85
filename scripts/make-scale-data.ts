/**
 * Writes MultiNLI-format files (`MNLI/multinli_1.0_{train,dev_matched,dev_mismatched}.jsonl`) of a
 * chosen size, for measuring time and memory at MultiNLI's scale where the real corpus is not
 * available. Sentences come from the SentEval data (`$SENTEVAL_DATA`); as in MultiNLI each premise
 * serves three hypotheses, every hypothesis is distinct (two real sentences' halves joined), and
 * labels are random. Scores on these files are meaningless; time and memory are what they measure.
 *
 *   node dist/scripts/make-scale-data.js --out DIR [--train 392702] [--matched 9815] [--mismatched 9832] [--seed 1]
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng } from '../src/util/rng.js';

function arg(name: string, fallback?: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (v === undefined || !Number.isInteger(v) || v < 0) throw new Error(`--${name}: expected a non-negative integer`);
  return v;
}

const outIdx = process.argv.indexOf('--out');
if (outIdx < 0 || !process.argv[outIdx + 1]) {
  process.stderr.write('usage: make-scale-data --out DIR [--train N] [--matched N] [--mismatched N] [--seed S]\n');
  process.exit(2);
}
const out = resolve(process.argv[outIdx + 1]!);
const sizes = { train: arg('train', 392702), dev_matched: arg('matched', 9815), dev_mismatched: arg('mismatched', 9832) };
const rng = new Rng(arg('seed', 1), 7);

/** Every text field of 3+ words in the SentEval files (tab-separated columns or whole lines). */
function pool(dir: string): string[][] {
  const seen = new Set<string>();
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  for (const file of walk(dir)) {
    if (/SHA256SUMS|README|LICENSE|\.gs\./.test(file)) continue;
    for (const line of readFileSync(file, 'latin1').split('\n')) {
      for (const field of line.split('\t')) {
        const t = field.trim();
        if (t.split(/\s+/).length >= 3 && /[a-z]/i.test(t)) seen.add(t.replace(/\s+/g, ' '));
      }
    }
  }
  return [...seen].map((s) => s.split(' '));
}

const sentences = pool(process.env.SENTEVAL_DATA ?? resolve('..', 'shared', 'senteval-data'));
process.stderr.write(`${sentences.length} distinct source sentences\n`);
const pick = (): string[] => sentences[rng.int(sentences.length)]!;
const used = new Set<string>();
/** A hypothesis no other row has: the first half of one sentence, the second half of another. */
function hypothesis(): string {
  for (;;) {
    const a = pick();
    const b = pick();
    const h = [...a.slice(0, Math.ceil(a.length / 2)), ...b.slice(Math.floor(b.length / 2))].join(' ');
    if (!used.has(h)) {
      used.add(h);
      return h;
    }
  }
}

const LABELS = ['entailment', 'neutral', 'contradiction'];
const GENRES = ['fiction', 'government', 'slate', 'telephone', 'travel'];
mkdirSync(join(out, 'MNLI'), { recursive: true });
let id = 0;
for (const [split, n] of Object.entries(sizes)) {
  const fd = openSync(join(out, 'MNLI', `multinli_1.0_${split}.jsonl`), 'w');
  let premise = '';
  let buf = '';
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) premise = pick().join(' ');
    const row = {
      annotator_labels: [LABELS[rng.int(3)]],
      genre: GENRES[rng.int(GENRES.length)],
      gold_label: LABELS[rng.int(3)],
      pairID: `${id++}`,
      promptID: `${Math.floor(i / 3)}`,
      sentence1: premise,
      sentence2: hypothesis(),
    };
    buf += `${JSON.stringify(row)}\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
  process.stderr.write(`${split}: ${n} pairs\n`);
}
