/** `parallel-lines`: three line-aligned files per split, sentence A, sentence B, label (SNLI). */
import { lineError } from '../../util/errors.js';
import { pySplitlines, pyStrip } from '../../util/pystr.js';
import { obj, relPath, str } from '../json-checks.js';
import type { TaskDefinition } from '../definition.js';
import { labelParser } from '../labels.js';
import { asciiSplit, dropTrailingBlank } from '../text.js';
import type { Split } from '../types.js';
import { checkLabelSpec, originOf, type LabelSpec, type ReaderDefinition, type TextFile } from './common.js';

/** The three parallel line files of one SNLI split. */
export interface ParallelFiles {
  readonly a: string;
  readonly b: string;
  readonly label: string;
}

export interface ParallelLinesFormat {
  readonly reader: 'parallel-lines';
  readonly label: LabelSpec;
}

/**
 * snli.py: sentences decoded as latin-1, `f.read().splitlines()`, then `line.encode('utf-8').split()`
 * (bytes.split: ASCII whitespace only); labels decoded as UTF-8, `read().splitlines()`, not stripped.
 * SentEval zips the three lists (silently truncating to the shortest); here unequal counts are an
 * error, after trailing blank lines (which carry no label) are dropped.
 */
export function readParallelLines(def: TaskDefinition, fmt: ParallelLinesFormat, fa: TextFile, fb: TextFile, fl: TextFile): Split {
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
  return {
    a,
    b,
    y,
    origin: originOf(
      fa.shown,
      y.map((_, i) => i + 1),
    ),
  };
}

export const reader: ReaderDefinition = {
  name: 'parallel-lines',
  validateFormat: (format, ctx) => checkLabelSpec(format.label, ctx),
  validateSplit(v, at, { fail }) {
    const x = obj(v, at, fail);
    for (const k of ['a', 'b', 'label']) relPath(str(x[k], `${at}.${k}`, fail), at, fail);
  },
  files: (src) => [[(src as unknown as ParallelFiles).a], [(src as unknown as ParallelFiles).b], [(src as unknown as ParallelFiles).label]],
  async read(def, src, open) {
    const p = src as unknown as ParallelFiles;
    // SentEval decodes the label files as UTF-8 whatever the sentences' encoding.
    return readParallelLines(def, def.format as unknown as ParallelLinesFormat, await open(p.a), await open(p.b), await open(p.label, 'utf8'));
  },
};
