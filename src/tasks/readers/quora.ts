/** `quora`: Quora Question Pairs in either of its two row layouts. */
import { lineError } from '../../util/errors.js';
import { pyFileLines, pySplit, pyStrip } from '../../util/pystr.js';
import type { TaskDefinition } from '../definition.js';
import { labelParser, show } from '../labels.js';
import { dropTrailingBlank } from '../text.js';
import type { Split } from '../types.js';
import { originOf, pathSource, type ReaderDefinition, type TextFile } from './common.js';

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

export const reader: ReaderDefinition = {
  name: 'quora',
  validateFormat: () => undefined,
  ...pathSource,
  read: async (def, src, open) => readQuora(def, await open(src as string | readonly string[])),
};
