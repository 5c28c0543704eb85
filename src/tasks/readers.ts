/**
 * The format readers. Each mirrors one SentEval loader's string handling exactly (see
 * docs in tasks/*.json): which text decoding, how lines are split, what is stripped, how tokens
 * are made. Tokens are always Python's `str.split()` of the relevant text unless noted.
 */
import { lineError } from '../util/errors.js';
import { pyFileLines, pySplit, pySplitlines, pyStrip } from '../util/pystr.js';
import type { FormatSpec, TaskDefinition } from './definition.js';
import { labelParser, show } from './labels.js';
import { asciiSplit, dropTrailingBlank, parsePyFloat } from './text.js';
import type { SampleOrigin, Split } from './types.js';

/** One file's sample origins: every sample from `file`, at the given 1-based lines. */
function originOf(file: string, lines: number[]): SampleOrigin {
  return { files: [file], file: new Array<number>(lines.length).fill(0), line: lines };
}

/** A file's decoded text with the name shown in messages (its path relative to the data folder). */
export interface TextFile {
  readonly shown: string;
  readonly text: string;
}

type Fmt<R extends FormatSpec['reader']> = Extract<FormatSpec, { reader: R }>;

/** binary.py: `[line.split() for line in f.read().splitlines()]`, one label per file. */
export function readLabelledLines(files: readonly { file: TextFile; label: number }[]): Split {
  const a: string[][] = [];
  const y: number[] = [];
  const origin = { files: files.map((f) => f.file.shown), file: [] as number[], line: [] as number[] };
  files.forEach(({ file, label }, k) => {
    pySplitlines(file.text).forEach((line, i) => {
      a.push(pySplit(line));
      y.push(label);
      origin.file.push(k);
      origin.line.push(i + 1);
    });
  });
  return { a, y, origin };
}

/**
 * sst.py, mrpc.py, sick.py, sts.py (STSBenchmark): iterate the file's lines, `line.strip().split('\t')`,
 * tokens = `column.split()`, an optional header line dropped.
 */
export function readTsv(def: TaskDefinition, fmt: Fmt<'tsv'>, file: TextFile): Split {
  const parse = labelParser(def, fmt.label);
  const { a: ca, b: cb, label: cl } = fmt.columns;
  const need = Math.max(ca, cl, cb ?? 0) + 1;
  const lines = dropTrailingBlank(pyFileLines(file.text));
  const a: string[][] = [];
  const b: string[][] = [];
  const y: number[] = [];
  const at: number[] = [];
  for (let i = fmt.header ? 1 : 0; i < lines.length; i++) {
    at.push(i + 1);
    const cols = pyStrip(lines[i]).split('\t');
    if (cols.length < need) {
      throw lineError(
        file.shown,
        i + 1,
        `expected at least ${need} tab-separated columns, found ${cols.length === 1 && cols[0] === '' ? 'an empty line' : cols.length}`,
      );
    }
    a.push(pySplit(cols[ca]));
    if (cb !== undefined) b.push(pySplit(cols[cb]));
    y.push(parse(cols[cl], file.shown, i + 1));
  }
  const origin = originOf(file.shown, at);
  return cb === undefined ? { a, y, origin } : { a, b, y, origin };
}

/**
 * trec.py: `target, sample = line.strip().split(':', 1)`; the fine label runs to the first space,
 * `sample.split(' ', 1)[1].split()` are the tokens; the coarse target names the class.
 */
export function readTrec(def: TaskDefinition, file: TextFile): Split {
  const parse = labelParser(def, { type: 'map' });
  const lines = dropTrailingBlank(pyFileLines(file.text));
  const a: string[][] = [];
  const y: number[] = [];
  lines.forEach((line, i) => {
    const s = pyStrip(line);
    const colon = s.indexOf(':');
    const space = colon < 0 ? -1 : s.indexOf(' ', colon + 1);
    if (colon < 0 || space < 0) {
      throw lineError(file.shown, i + 1, `expected "COARSE:fine question words", found ${show(s)}`);
    }
    y.push(parse(s.slice(0, colon), file.shown, i + 1));
    a.push(pySplit(s.slice(space + 1)));
  });
  return { a, y, origin: originOf(file.shown, lines.map((_, i) => i + 1)) };
}

/**
 * sst.py with nclasses 5 (SST/fine): `sample = line.strip().split(' ', 1)`, label = int(sample[0]),
 * tokens = sample[1].split(). The label comes first, separated by one space (not a tab).
 */
export function readLabelFirst(def: TaskDefinition, file: TextFile): Split {
  const parse = labelParser(def, { type: 'int' });
  const lines = dropTrailingBlank(pyFileLines(file.text));
  const a: string[][] = [];
  const y: number[] = [];
  lines.forEach((line, i) => {
    const s = pyStrip(line);
    const space = s.indexOf(' ');
    if (space < 0) throw lineError(file.shown, i + 1, `expected "LABEL sentence words" (label, one space, sentence), found ${show(s)}`);
    y.push(parse(s.slice(0, space), file.shown, i + 1));
    a.push(pySplit(s.slice(space + 1)));
  });
  return { a, y };
}

/**
 * sts.py (STSEval.loadFile, STS12-16): both files decoded as UTF-8 and split with `read().splitlines()`;
 * each input line is `s1\ts2` (`l.split("\t")`), tokens = `s.split()`; the gold line is `float()`ed,
 * and a pair whose gold line is empty ('') is unscored and dropped. SentEval's `zip(*...)` silently
 * truncates lines with a third column and numpy fails on files of unequal length; both are errors here.
 */
export function readStsPairs(def: TaskDefinition, input: TextFile, gold: TextFile): Split {
  const [lo, hi] = def.scoreRange ?? [-Infinity, Infinity];
  const pairs = pySplitlines(input.text);
  const scores = pySplitlines(gold.text);
  if (pairs.length !== scores.length) {
    throw lineError(
      gold.shown,
      Math.min(pairs.length, scores.length) + 1,
      `expected ${pairs.length} lines, one (possibly empty) gold score per sentence pair of ${input.shown}, found ${scores.length}`,
    );
  }
  const a: string[][] = [];
  const b: string[][] = [];
  const y: number[] = [];
  for (let i = 0; i < pairs.length; i++) {
    if (scores[i] === '') continue;
    const cols = pairs[i].split('\t');
    if (cols.length !== 2) {
      throw lineError(input.shown, i + 1, `expected "sentence 1<TAB>sentence 2", found ${cols.length} tab-separated columns: ${show(pairs[i])}`);
    }
    const v = parsePyFloat(scores[i]);
    if (v === undefined) throw lineError(gold.shown, i + 1, `expected a numeric gold score or an empty line, found ${show(scores[i])}`);
    if (v < lo || v > hi) throw lineError(gold.shown, i + 1, `expected a gold score in [${lo}, ${hi}], found ${show(scores[i])}`);
    a.push(pySplit(cols[0]));
    b.push(pySplit(cols[1]));
    y.push(v);
  }
  return { a, b, y };
}

/**
 * snli.py: sentences decoded as latin-1, `f.read().splitlines()`, then `line.encode('utf-8').split()`
 * (bytes.split: ASCII whitespace only); labels decoded as UTF-8, `read().splitlines()`, not stripped.
 * SentEval zips the three lists (silently truncating to the shortest); here unequal counts are an
 * error, after trailing blank lines (which carry no label) are dropped.
 */
export function readParallelLines(def: TaskDefinition, fmt: Fmt<'parallel-lines'>, fa: TextFile, fb: TextFile, fl: TextFile): Split {
  const parse = labelParser(def, fmt.label);
  const labelLines = dropTrailingBlank(pySplitlines(fl.text));
  const n = labelLines.length;
  const side = (f: TextFile): string[][] => {
    let lines = pySplitlines(f.text);
    if (lines.length > n && lines.slice(n).every((l) => pyStrip(l) === '')) lines = lines.slice(0, n);
    if (lines.length !== n) {
      throw lineError(f.shown, Math.min(lines.length, n) + 1, `expected ${n} lines, one per label in ${fl.shown}, found ${lines.length}`);
    }
    return lines.map(asciiSplit);
  };
  const a = side(fa);
  const b = side(fb);
  const y = labelLines.map((l, i) => parse(l, fl.shown, i + 1));
  return { a, b, y, origin: originOf(fa.shown, y.map((_, i) => i + 1)) };
}

/**
 * JSON Lines (MultiNLI 1.0; SentEval has no loader): one object per line, rows whose label field
 * is in `dropLabels` skipped, blank lines ignored, tokens = Python `split()` of the sentence as is.
 */
export function readJsonl(def: TaskDefinition, fmt: Fmt<'jsonl'>, file: TextFile): Split {
  const parse = labelParser(def, fmt.label);
  const drop = new Set(fmt.dropLabels);
  const a: string[][] = [];
  const b: string[][] = [];
  const y: number[] = [];
  const at: number[] = [];
  const lines = pyFileLines(file.text);
  const field = (row: Record<string, unknown>, name: string, line: number): string => {
    const v = row[name];
    if (typeof v !== 'string') throw lineError(file.shown, line, `expected a string field "${name}"`);
    return v;
  };
  for (let i = 0; i < lines.length; i++) {
    if (pyStrip(lines[i]) === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(lines[i]);
    } catch {
      throw lineError(file.shown, i + 1, 'expected one JSON object per line');
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw lineError(file.shown, i + 1, 'expected one JSON object per line');
    }
    const r = row as Record<string, unknown>;
    const label = field(r, fmt.fields.label, i + 1);
    if (drop.has(label)) continue;
    y.push(parse(label, file.shown, i + 1));
    a.push(pySplit(field(r, fmt.fields.a, i + 1)));
    if (fmt.fields.b !== undefined) b.push(pySplit(field(r, fmt.fields.b, i + 1)));
    at.push(i + 1);
  }
  const origin = originOf(file.shown, at);
  return fmt.fields.b === undefined ? { a, y, origin } : { a, b, y, origin };
}

type QuoraLayout = 'label-first' | 'label-last';

const QUORA_HEADER = /^(label|is_duplicate|duplicate)$/i;

/**
 * Quora Question Pairs, BiMPM split (SentEval has no loader). Two row layouts occur:
 * `label\tq1\tq2\tid` (BiMPM's own files) and `q1\tq2\tlabel` (copies that dropped the id).
 * The layout is detected per file from where the 0/1 column is; every row must then follow it.
 * A header line (a `label`/`is_duplicate` column) is allowed on line 1. Cells are stripped;
 * tokens are Python `split()` of the question.
 */
export function readQuora(def: TaskDefinition, file: TextFile): Split {
  const parse = labelParser(def, { type: 'int' });
  const lines = dropTrailingBlank(pyFileLines(file.text));
  const rows = lines.map((l) => l.split('\t').map(pyStrip));
  const isLabel = (c: string | undefined): boolean => c === '0' || c === '1';
  const fits = (r: string[], layout: QuoraLayout): boolean =>
    layout === 'label-first' ? (r.length === 4 || r.length === 3) && isLabel(r[0]) : r.length === 3 && isLabel(r[2]);
  let start = 0;
  if (rows.length > 0 && !fits(rows[0], 'label-first') && !fits(rows[0], 'label-last')) {
    const r = rows[0];
    if (QUORA_HEADER.test(r[0]) || QUORA_HEADER.test(r[r.length - 1])) start = 1;
  }
  let layout: QuoraLayout | undefined;
  for (let i = start; i < rows.length && layout === undefined; i++) {
    const first = fits(rows[i], 'label-first');
    const last = fits(rows[i], 'label-last');
    if (first !== last) layout = first ? 'label-first' : 'label-last';
    else if (!first) break;
  }
  const expected = 'expected a Quora row "label\\tq1\\tq2\\tid" or "q1\\tq2\\tlabel" with label 0 or 1';
  if (layout === undefined) {
    // Either no row fits (report the first) or every row fits both layouts (cannot tell).
    const bad = rows.findIndex((r, i) => i >= start && !fits(r, 'label-first') && !fits(r, 'label-last'));
    if (bad >= 0) throw lineError(file.shown, bad + 1, `${expected}, found ${rows[bad].length} columns: ${show(lines[bad])}`);
    if (rows.length > start) throw lineError(file.shown, start + 1, `${expected}; cannot tell which column is the label`);
    return { a: [], b: [], y: [] };
  }
  const a: string[][] = [];
  const b: string[][] = [];
  const y: number[] = [];
  const at: number[] = [];
  for (let i = start; i < rows.length; i++) {
    const r = rows[i];
    if (!fits(r, layout)) {
      const want = layout === 'label-first' ? '"label\\tq1\\tq2\\tid" (as the lines above)' : '"q1\\tq2\\tlabel" (as the lines above)';
      throw lineError(file.shown, i + 1, `expected a row ${want} with label 0 or 1, found ${show(lines[i])}`);
    }
    const [l, q1, q2] = layout === 'label-first' ? [r[0], r[1], r[2]] : [r[2], r[0], r[1]];
    y.push(parse(l, file.shown, i + 1));
    a.push(pySplit(q1));
    b.push(pySplit(q2));
    at.push(i + 1);
  }
  return { a, b, y, origin: originOf(file.shown, at) };
}
