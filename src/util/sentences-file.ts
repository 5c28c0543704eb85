import { existsSync, readFileSync } from 'node:fs';
import { lineError, UserError } from './errors.js';
import { pyFileLines } from './pystr.js';

export function readText(path: string): string {
  if (!existsSync(path)) throw new UserError(`input file not found: ${path}`);
  const buf = readFileSync(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new UserError(`${path}: not valid UTF-8 text`);
  }
}

/** `.jsonl`: one JSON string per line; anything else: one sentence per line. */
export function readSentences(path: string): string[] {
  const text = readText(path);
  const lines = pyFileLines(text);
  if (!path.endsWith('.jsonl')) return lines;
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw lineError(path, i + 1, 'expected a JSON string (one sentence per line), got invalid JSON');
    }
    if (typeof v !== 'string') throw lineError(path, i + 1, `expected a JSON string (one sentence per line), got ${v === null ? 'null' : typeof v}`);
    return v;
  });
}

