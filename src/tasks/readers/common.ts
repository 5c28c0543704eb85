/**
 * What a format reader is: its name (a task file's `format.reader`), the checks of its own format
 * fields and split sources, the files a split names, and how a split is read. Each reader mirrors one
 * SentEval loader's string handling exactly (which decoding, how lines are split, what is stripped,
 * how tokens are made; tokens are Python's `str.split()` unless noted). src/tasks/readers.ts is the table.
 */
import { withArticle } from '../../util/english.js';
import { obj, relPath, str, type Fail } from '../json-checks.js';
import type { SplitSource, TaskDefinition, TextEncoding } from '../definition.js';
import type { SampleOrigin, Split } from '../types.js';

/** How a label cell becomes a class index or a score. */
export type LabelSpec =
  /** An integer class index, checked against `nclasses` (Python's int() of the cell). */
  | { readonly type: 'int' }
  /** A gold score (Python's float() of the cell), for relatedness tasks. */
  | { readonly type: 'float' }
  /** A name from the definition's `labels` (its index is the class), or one of `map`'s keys. */
  | { readonly type: 'map'; readonly map?: Readonly<Record<string, number>> };

/** A file's decoded text with the name shown in messages (its path relative to the data folder). */
export interface TextFile {
  readonly shown: string;
  readonly text: string;
}

/** Finds the first existing of `alternatives` in the data folder and decodes it (the task's encoding unless given). */
export type OpenFile = (alternatives: string | readonly string[], encoding?: TextEncoding) => Promise<TextFile>;

/** What a reader's checks may look at besides the values they check. */
export interface ReaderCheckContext {
  /** The task's protocol name, for messages. */
  readonly protocol: string;
  /** Whether the protocol takes gold scores (relatedness, STS) rather than class indices. */
  readonly takesScores: boolean;
  readonly nclasses: number;
  /** Throws the one-line error naming the task file. */
  readonly fail: Fail;
}

export interface ReaderDefinition {
  /** `format.reader` in a task file. */
  readonly name: string;
  /** Checks the reader's own fields of the task's `format` object. */
  validateFormat(format: Readonly<Record<string, unknown>>, ctx: ReaderCheckContext): void;
  /** Checks one split's source (`at` names it in errors: `splits.train`). */
  validateSplit(src: unknown, at: string, ctx: ReaderCheckContext): void;
  /** The files a (validated) split source names: one group of alternative names per file it needs. */
  files(src: SplitSource): string[][];
  /** Reads one split. */
  read(def: TaskDefinition, src: SplitSource, open: OpenFile): Promise<Split>;
}

/** One file's sample origins: every sample from `file`, at the given 1-based lines. */
export function originOf(file: string, lines: number[]): SampleOrigin {
  return { files: [file], file: new Array<number>(lines.length).fill(0), line: lines };
}

/** The split source of one-file readers: a path, or a list of alternative names for one file (first that exists wins). */
export const pathSource: Pick<ReaderDefinition, 'validateSplit' | 'files'> = {
  validateSplit(v, at, { fail }) {
    if (typeof v === 'string') relPath(v, at, fail);
    else if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')) for (const s of v as string[]) relPath(s, at, fail);
    else fail(`${at} must be a file path or a list of alternative paths`);
  },
  files: (src) => [typeof src === 'string' ? [src] : [...(src as readonly string[])]],
};

/** `format.label`: its type fits the protocol (gold scores or classes), a map's values are class indices. */
export function checkLabelSpec(v: unknown, { protocol, takesScores, nclasses, fail }: ReaderCheckContext): void {
  const l = obj(v, 'format.label', fail);
  const t = str(l.type, 'format.label.type', fail);
  if (t !== 'int' && t !== 'float' && t !== 'map') fail('format.label.type must be int, float or map');
  if ((t === 'float') !== takesScores) {
    fail(
      t === 'float'
        ? `float labels are gold scores, which ${withArticle(protocol)} task does not take`
        : `${withArticle(protocol)} task needs gold scores: "format.label": {"type": "float"}`,
    );
  }
  if (t === 'map' && l.map !== undefined) {
    for (const [k, x] of Object.entries(obj(l.map, 'format.label.map', fail))) {
      if (!Number.isInteger(x) || (x as number) < 0 || (x as number) >= nclasses) fail(`format.label.map["${k}"] must be a class index below ${nclasses}`);
    }
  }
}
