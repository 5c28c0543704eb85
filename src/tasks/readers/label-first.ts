/** `label-first`: `LABEL sentence words` lines (SST5). */
import { lineError } from '../../util/errors.js';
import { pyFileLines, pySplit, pyStrip } from '../../util/pystr.js';
import type { TaskDefinition } from '../definition.js';
import { labelParser, show } from '../labels.js';
import { dropTrailingBlank } from '../text.js';
import type { Split } from '../types.js';
import { pathSource, type ReaderDefinition, type TextFile } from './common.js';

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

export const reader: ReaderDefinition = {
  name: 'label-first',
  validateFormat: () => undefined,
  ...pathSource,
  read: async (def, src, open) => readLabelFirst(def, await open(src as string | readonly string[])),
};
