/** `jsonl`: one JSON object per line (MultiNLI). */
import { lineError } from '../../util/errors.js';
import { pyFileLines, pySplit, pyStrip } from '../../util/pystr.js';
import { obj, str, strArr } from '../json-checks.js';
import type { TaskDefinition } from '../definition.js';
import { labelParser } from '../labels.js';
import type { Split } from '../types.js';
import { checkLabelSpec, originOf, pathSource, type LabelSpec, type ReaderDefinition, type TextFile } from './common.js';

export interface JsonlFormat {
  readonly reader: 'jsonl';
  readonly fields: { readonly a: string; readonly b?: string; readonly label: string };
  readonly label: LabelSpec;
  /** Rows whose label field equals one of these are dropped (MultiNLI's `-`: no consensus). */
  readonly dropLabels: readonly string[];
}

/**
 * JSON Lines (MultiNLI 1.0; SentEval has no loader): one object per line, rows whose label field
 * is in `dropLabels` skipped, blank lines ignored, tokens = Python `split()` of the sentence as is.
 */
export function readJsonl(def: TaskDefinition, fmt: JsonlFormat, file: TextFile): Split {
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

export const reader: ReaderDefinition = {
  name: 'jsonl',
  validateFormat(format, ctx) {
    const { fail } = ctx;
    checkLabelSpec(format.label, ctx);
    const f = obj(format.fields, 'format.fields', fail);
    str(f.a, 'format.fields.a', fail);
    str(f.label, 'format.fields.label', fail);
    if (f.b !== undefined) str(f.b, 'format.fields.b', fail);
    strArr(format.dropLabels, 'format.dropLabels', fail);
  },
  ...pathSource,
  read: async (def, src, open) => readJsonl(def, def.format as unknown as JsonlFormat, await open(src as string | readonly string[])),
};
