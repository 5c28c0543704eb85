/**
 * Word vectors written as GloVe text (`word v1 … vD` per line), the input of the example encoders
 * and of any other bag-of-words tool. Each value is a decimal that reads back (rounded to float32)
 * as exactly the stored float32, so an encoder reading the file sees the vectors `bow` uses.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { removeQuietly, tempPathFor } from '../util/atomic-write.js';
import { fileError } from '../util/errors.js';
import { trackTemp, untrackTemp } from '../util/temp-files.js';
import type { WordVectorTable } from './embedded.js';

// The embedded vectors' JSON has 8 decimals: the values that are not 5-digit decimals are on that grid.
const GRID = 1e8;

/** A short decimal whose float32 rounding is `x` (the published text for the embedded vectors). */
export function formatFloat32(x: number): string {
  // GloVe's own text has five significant digits: most values are that decimal (a shorter one
  // prints without its trailing zeros, and no shorter decimal rounds to x when a 5-digit one does).
  const five = Number(x.toPrecision(5));
  if (Math.fround(five) === x) return String(five);
  const k = Math.round(x * GRID);
  if (Number.isSafeInteger(k) && Math.fround(k / GRID) === x) {
    if (k === 0) return '0';
    const digits = String(Math.abs(k)).padStart(9, '0');
    const whole = digits.slice(0, -8);
    const frac = digits.slice(-8).replace(/0+$/, '');
    return `${k < 0 ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
  }
  for (let p = 1; p < 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === x) return String(d);
  }
  return String(Number(x.toPrecision(9)));
}

/** A word the text format cannot hold: empty, or with whitespace (the separator of its fields). */
export function unwritableWord(w: string): boolean {
  return w === '' || /\s/.test(w);
}

export interface GloveExport {
  readonly written: number;
  /** Words left out because the format cannot hold them. */
  readonly skipped: readonly string[];
  readonly dim: number;
}

/**
 * Writes `words` (default: all, in the table's order) that the table has, one line each, to `path`
 * atomically: a sibling temp file renamed into place, removed on any failure or signal.
 */
export function writeGloveText(table: WordVectorTable, path: string, words?: Iterable<string>): GloveExport {
  const tmp = tempPathFor(path); // the shared temp-name pattern, so a killed export's leftover is recognised
  const skipped: string[] = [];
  let written = 0;
  let fd: number | undefined;
  trackTemp(tmp);
  try {
    fd = openSync(tmp, 'w');
    const seen = new Set<string>();
    let chunk: string[] = [];
    const flush = (): void => {
      if (chunk.length > 0) writeSync(fd!, chunk.join(''));
      chunk = [];
    };
    for (const w of words ?? table.words) {
      const row = table.index.get(w);
      if (row === undefined || seen.has(w)) continue;
      seen.add(w);
      if (unwritableWord(w)) {
        skipped.push(w);
        continue;
      }
      const v = table.vectors.subarray(row * table.dim, (row + 1) * table.dim);
      let line = w;
      for (let j = 0; j < v.length; j++) line += ` ${formatFloat32(v[j]!)}`;
      chunk.push(`${line}\n`);
      written++;
      if (chunk.length >= 4096) flush();
    }
    flush();
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(tmp);
    throw fileError(path, 'write', e);
  } finally {
    untrackTemp(tmp);
  }
  return { written, skipped, dim: table.dim };
}
