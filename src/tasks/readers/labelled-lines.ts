/** `labelled-lines`: one sentence per line, every line of a file carrying that file's label (MR, CR, SUBJ, MPQA). */
import { pySplit, pySplitlines } from '../../util/pystr.js';
import { int, obj, relPath, str } from '../json-checks.js';
import type { Split } from '../types.js';
import type { ReaderDefinition, TextFile } from './common.js';

/**
 * One file of a `labelled-lines` task: every line of the file is a sample with this label.
 * SentEval's binary.py: latin-1, `f.read().splitlines()`, blank lines kept as empty samples.
 */
export interface LabelledFile {
  readonly file: string;
  readonly label: number;
}

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

export const reader: ReaderDefinition = {
  name: 'labelled-lines',
  validateFormat: () => undefined,
  validateSplit(v, at, { nclasses, fail }) {
    if (!Array.isArray(v) || v.length === 0) fail(`${at} must be a list of {file, label}`);
    for (const e of v as unknown[]) {
      const x = obj(e, at, fail);
      relPath(str(x.file, `${at}.file`, fail), at, fail);
      const label = int(x.label, `${at}.label`, fail);
      if (label < 0 || label >= nclasses) fail(`${at}.label must be below ${nclasses}`);
    }
  },
  files: (src) => (src as readonly LabelledFile[]).map((e) => [e.file]),
  async read(_def, src, open) {
    const parts: { file: TextFile; label: number }[] = [];
    for (const e of src as readonly LabelledFile[]) parts.push({ file: await open(e.file), label: e.label });
    return readLabelledLines(parts);
  },
};
