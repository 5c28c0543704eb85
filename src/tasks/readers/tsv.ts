/** `tsv`: tab-separated columns, an optional header (SST2, MRPC, SICK, STS-B). */
import { lineError } from '../../util/errors.js';
import { pyFileLines, pySplit, pyStrip } from '../../util/pystr.js';
import { int, obj } from '../json-checks.js';
import type { TaskDefinition } from '../definition.js';
import { labelParser } from '../labels.js';
import { dropTrailingBlank } from '../text.js';
import type { Split } from '../types.js';
import { checkLabelSpec, originOf, pathSource, type LabelSpec, type ReaderDefinition, type TextFile } from './common.js';

/** Column indices (0-based) after `line.strip().split('\t')`. */
export interface TsvColumns {
  readonly a: number;
  readonly b?: number;
  readonly label: number;
}

export interface TsvFormat {
  readonly reader: 'tsv';
  /** The first line is a header and is dropped. */
  readonly header: boolean;
  readonly columns: TsvColumns;
  readonly label: LabelSpec;
}

/**
 * sst.py, mrpc.py, sick.py, sts.py (STSBenchmark): iterate the file's lines, `line.strip().split('\t')`,
 * tokens = `column.split()`, an optional header line dropped.
 */
export function readTsv(def: TaskDefinition, fmt: TsvFormat, file: TextFile): Split {
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

export const reader: ReaderDefinition = {
  name: 'tsv',
  validateFormat(format, ctx) {
    const { fail } = ctx;
    if (typeof format.header !== 'boolean') fail('format.header must be true or false');
    const c = obj(format.columns, 'format.columns', fail);
    int(c.a, 'format.columns.a', fail);
    int(c.label, 'format.columns.label', fail);
    if (c.b !== undefined) int(c.b, 'format.columns.b', fail);
    checkLabelSpec(format.label, ctx);
  },
  ...pathSource,
  read: async (def, src, open) => readTsv(def, def.format as unknown as TsvFormat, await open(src as string | readonly string[])),
};
