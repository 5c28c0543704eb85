import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileError, lineError, UserError } from './errors.js';
import { pyFileLines } from './pystr.js';

/** Inputs above this are refused before reading (the whole input is held in memory). */
const MAX_INPUT_BYTES = 2 ** 31 - 1;

export function readText(path: string): string {
  // `-` is standard input (read whole: sentences are batched in input order).
  if (path !== '-' && !existsSync(path)) throw new UserError(`input file not found: ${path}`);
  if (path !== '-' && statSync(path).size > MAX_INPUT_BYTES) throw new UserError(`${path}: larger than ${MAX_INPUT_BYTES} bytes; split the input`);
  let buf: Buffer;
  try {
    buf = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    // A directory or an unreadable file: one line naming it.
    throw fileError(path, 'read', e);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new UserError(`${path}: not valid UTF-8 text`);
  }
}

/**
 * `.jsonl` (or `--format jsonl`): one JSON string, or an object with a string `text` field (the
 * shape most datasets export), per line; anything else: one sentence per line. `-` is stdin.
 */
export function readSentences(path: string, format: 'txt' | 'jsonl' = path.endsWith('.jsonl') ? 'jsonl' : 'txt'): string[] {
  const text = readText(path);
  const shown = path === '-' ? '<stdin>' : path;
  const lines = pyFileLines(text);
  if (format !== 'jsonl') return lines;
  const expected = 'expected a JSON string or {"text": "..."} (one sentence per line)';
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw lineError(shown, i + 1, `${expected}, got invalid JSON`);
    }
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const t = (v as Record<string, unknown>).text;
      if (typeof t === 'string') return t;
      throw lineError(shown, i + 1, `${expected}, got an object without a string "text" field`);
    }
    throw lineError(shown, i + 1, `${expected}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  });
}

/** A word list: a `.json` array of strings, or one word per line (blank lines skipped). */
export function readWordList(path: string): string[] {
  const text = readText(path);
  if (path.endsWith('.json')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new UserError(`${path}: expected a JSON array of words, got invalid JSON`);
    }
    if (!Array.isArray(v) || v.some((w) => typeof w !== 'string')) throw new UserError(`${path}: expected a JSON array of strings`);
    return v as string[];
  }
  return pyFileLines(text).filter((w) => w !== '');
}
