/** `sts-pairs`: an unsupervised STS year's datasets, `STS.input.<ds>.txt` and `STS.gs.<ds>.txt` (STS12-16). */
import { lineError } from '../../util/errors.js';
import { pySplit, pySplitlines } from '../../util/pystr.js';
import { withArticle } from '../../util/english.js';
import { obj, relPath, str } from '../json-checks.js';
import type { TaskDefinition } from '../definition.js';
import { show } from '../labels.js';
import { parsePyFloat } from '../text.js';
import type { Split } from '../types.js';
import type { ReaderDefinition, TextFile } from './common.js';

/** One dataset of an unsupervised STS year: the sentence-pair file and its gold-score file. */
export interface StsFiles {
  readonly input: string;
  readonly gold: string;
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

export const reader: ReaderDefinition = {
  name: 'sts-pairs',
  validateFormat(_format, { protocol, takesScores, fail }) {
    // The reader gives each dataset's gold scores; the protocol must score pairs.
    if (!takesScores) fail(`the "sts-pairs" reader gives gold scores, which ${withArticle(protocol)} task does not take`);
  },
  validateSplit(v, at, { fail }) {
    const x = obj(v, at, fail);
    for (const k of Object.keys(x)) if (k !== 'input' && k !== 'gold') fail(`${at}: unknown field "${k}" (expected input, gold)`);
    for (const k of ['input', 'gold']) relPath(str(x[k], `${at}.${k}`, fail), at, fail);
  },
  files: (src) => [[(src as unknown as StsFiles).input], [(src as unknown as StsFiles).gold]],
  async read(def, src, open) {
    const p = src as unknown as StsFiles;
    return readStsPairs(def, await open(p.input), await open(p.gold));
  },
};
