/**
 * Reading data files the way SentEval's Python does: decoding, line splitting and cell parsing,
 * with user errors that name the file and line.
 */
import { readFile } from 'node:fs/promises';
import { UserError, fileError, lineError } from '../util/errors.js';
import { pyStrip } from '../util/pystr.js';
import type { TextEncoding } from './definition.js';

/**
 * Decodes a whole file. latin-1 is ISO-8859-1 proper (Buffer's `latin1`; WHATWG's "latin1" label
 * means windows-1252, which would remap 0x80-0x9f). UTF-8 is strict like Python's codec and
 * keeps a byte-order mark as U+FEFF, as Python's `utf-8` (not `utf-8-sig`) does.
 */
export async function readText(path: string, shown: string, encoding: TextEncoding): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw fileError(shown, 'read data file', e);
  }
  return decode(bytes, shown, encoding);
}

export function decode(bytes: Buffer, shown: string, encoding: TextEncoding): string {
  if (encoding === 'latin1') return bytes.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw lineError(shown, badUtf8Line(bytes), 'expected UTF-8 text (invalid byte sequence)');
  }
}

function badUtf8Line(bytes: Buffer): number {
  const dec = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        dec.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/**
 * Drops blank lines at the end of a file's line list. SentEval's TSV-style loaders would crash
 * on them (an IndexError); they carry no sample in any reading, so they are tolerated.
 */
export function dropTrailingBlank(lines: string[]): string[] {
  let n = lines.length;
  while (n > 0 && pyStrip(lines[n - 1]) === '') n--;
  return n === lines.length ? lines : lines.slice(0, n);
}

/** Python's `int(cell)`: optional surrounding whitespace and sign, decimal digits. */
export function parsePyInt(cell: string): number | undefined {
  const s = pyStrip(cell);
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  return Number(s);
}

/** Python's `float(cell)` for finite decimal numbers (nan and inf are rejected as gold scores). */
export function parsePyFloat(cell: string): number | undefined {
  const s = pyStrip(cell);
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) return undefined;
  return Number(s);
}

/** `bytes.split()` of Python 3: ASCII whitespace only (SNLI's loader splits encoded bytes). */
export function asciiSplit(s: string): string[] {
  return s.split(/[ \t\n\r\v\f]+/).filter((t) => t !== '');
}

export function missingFileError(task: string, shown: string, full: string): UserError {
  return new UserError(
    `${task}: data file ${shown} not found (looked for ${full}); get the data with ` +
      "'gensen-eval data get' (or scripts/get-data), or point --data-dir / $SENTEVAL_DATA at a " +
      'folder in SentEval data/downstream layout',
  );
}

export { lineError };
