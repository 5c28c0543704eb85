/** `trec`: `COARSE:fine question words` lines (TREC). */
import { lineError } from '../../util/errors.js';
import { pyFileLines, pySplit, pyStrip } from '../../util/pystr.js';
import type { TaskDefinition } from '../definition.js';
import { labelParser, show } from '../labels.js';
import { dropTrailingBlank } from '../text.js';
import type { Split } from '../types.js';
import { originOf, pathSource, type ReaderDefinition, type TextFile } from './common.js';

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
  return {
    a,
    y,
    origin: originOf(
      file.shown,
      lines.map((_, i) => i + 1),
    ),
  };
}

export const reader: ReaderDefinition = {
  name: 'trec',
  validateFormat: () => undefined,
  ...pathSource,
  read: async (def, src, open) => readTrec(def, await open(src as string | readonly string[])),
};
