/**
 * NumPy `.npy` output (format 1.0), streamed to a temp file and renamed into place on success, so a
 * reader never sees a partial file and outputs larger than memory can be written batch by batch.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { removeQuietly } from '../util/atomic-write.js';
import { basename, dirname, join } from 'node:path';
import { fileError } from '../util/errors.js';
import { checkWriteFault } from '../util/fault-injection.js';
import { trackTemp, untrackTemp } from '../util/temp-files.js';

export type NpyDtype = '<f4' | '<i4';

/** The header block: magic, version 1.0, little-endian length, dict padded so data is 64-aligned. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + dict.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

export class NpyWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private written = 0;
  private readonly expected: number;
  private done = false;

  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    this.expected = shape.reduce((a, b) => a * b, 1);
    let fd = -1;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(this.tmp, 'w');
      trackTemp(this.tmp);
      this.fd = fd;
      this.write(npyHeader(dtype, shape));
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      this.removeTemp();
      throw fileError(path, 'write', e);
    }
  }

  private write(bytes: Uint8Array): void {
    checkWriteFault(this.path);
    writeSync(this.fd, bytes);
  }

  private removeTemp(): void {
    removeQuietly(this.tmp);
    untrackTemp(this.tmp);
  }

  append(values: Float32Array | Int32Array): void {
    if ((this.dtype === '<f4') !== values instanceof Float32Array) throw new Error(`npy ${this.path}: wrong element type`);
    if (this.written + values.length > this.expected) throw new Error(`npy ${this.path}: more values than the shape holds`);
    try {
      this.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } catch (e) {
      this.abort();
      throw fileError(this.path, 'write', e);
    }
    this.written += values.length;
  }

  /** Zero values (padding). */
  appendZeros(n: number): void {
    const chunk = this.dtype === '<f4' ? new Float32Array(Math.min(n, 1 << 16)) : new Int32Array(Math.min(n, 1 << 16));
    let left = n;
    while (left > 0) {
      const k = Math.min(left, chunk.length);
      this.append(chunk.subarray(0, k));
      left -= k;
    }
  }

  close(): void {
    if (this.written !== this.expected) {
      this.abort();
      throw new Error(`npy ${this.path}: wrote ${this.written} values, shape [${this.shape}] needs ${this.expected}`);
    }
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.done = true;
      this.removeTemp();
      throw fileError(this.path, 'write', e);
    }
    untrackTemp(this.tmp);
    this.done = true;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.removeTemp();
  }
}

/** One value of the header dict: a string, a bool, or a tuple of non-negative integers. */
type HeaderValue = string | boolean | number[];

/**
 * Parses the header dict exactly as NumPy writes it (`repr` of a dict: quoted keys, string /
 * `True` / `False` / tuple-of-int values, optional trailing comma, whitespace padding), so that a
 * key is found as a key and never as text inside another value. Python 2 files may write longs
 * (`3L`), which NumPy itself still reads.
 */
function parseHeaderDict(text: string): Map<string, HeaderValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed .npy header (${what} at character ${i}): ${JSON.stringify(text.trim().slice(0, 200))}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const q = text[i];
    if (q !== "'" && q !== '"') return fail('expected a quoted string');
    const end = text.indexOf(q, i + 1);
    if (end < 0 || text.slice(i + 1, end).includes('\\')) return fail('unterminated or escaped string');
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const int = (): number => {
    const m = /^(\d+)L?/.exec(text.slice(i));
    if (!m) return fail('expected an integer');
    i += m[0].length;
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) fail('dimension too large');
    return n;
  };
  const value = (): HeaderValue => {
    if (text.startsWith('True', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('False', i)) {
      i += 5;
      return false;
    }
    if (text[i] === '[') throw new Error('unsupported .npy dtype (a structured dtype; expected float32 or int32)');
    if (text[i] === '(') {
      i++;
      const dims: number[] = [];
      ws();
      while (text[i] !== ')') {
        dims.push(int());
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== ')') fail("expected ',' or ')'");
      }
      // `(3)` is the int 3 in Python, not a tuple: a 1-d shape is written `(3,)`.
      if (dims.length === 1 && !/,\s*\)$/.test(text.slice(0, i + 1))) fail('a shape must be a tuple');
      i++;
      return dims;
    }
    return str();
  };
  const dict = new Map<string, HeaderValue>();
  ws();
  if (text[i] !== '{') fail("expected '{'");
  i++;
  ws();
  while (text[i] !== '}') {
    const key = str();
    if (dict.has(key)) fail(`duplicate key '${key}'`);
    ws();
    if (text[i] !== ':') fail("expected ':'");
    i++;
    ws();
    dict.set(key, value());
    ws();
    if (text[i] === ',') {
      i++;
      ws();
    } else if (text[i] !== '}') fail("expected ',' or '}'");
  }
  i++;
  ws();
  if (i !== text.length) fail('text after the dict');
  return dict;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * Parses a `.npy` as NumPy's format defines it (numpy.lib.format): magic, major/minor version,
 * then the header length as 2 bytes (1.0) or 4 bytes (2.0, 3.0), then the header (latin1 for 1.0
 * and 2.0, UTF-8 for 3.0): a dict with exactly the keys 'descr', 'fortran_order' and 'shape'.
 * Accepts little-endian float32 / int32 in C order; the data must be exactly what the shape needs.
 */
export function readNpy(buf: Uint8Array): { dtype: NpyDtype; shape: number[]; data: Float32Array | Int32Array } {
  if (buf.length < 8 || !NPY_MAGIC.every((b, i) => buf[i] === b)) throw new Error('not a .npy file');
  const major = buf[6]!;
  const minor = buf[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) throw new Error(`.npy format version ${major}.${minor} is not one this reader knows (1.0, 2.0, 3.0)`);
  const lenBytes = major === 1 ? 2 : 4;
  const start = 8 + lenBytes;
  if (buf.length < start) throw new Error('truncated .npy header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + hlen > buf.length) throw new Error(`truncated .npy header (${hlen} header bytes declared, ${buf.length - start} present)`);
  const headerBytes = buf.subarray(start, start + hlen);
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error('the .npy 3.0 header is not UTF-8');
  }
  const dict = parseHeaderDict(header);
  const keys = [...dict.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') throw new Error(`.npy header keys are ${keys}, expected descr, fortran_order, shape`);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof fortran !== 'boolean' || !Array.isArray(shape) || typeof descr !== 'string') {
    throw new Error(`malformed .npy header ${header.trim()}`);
  }
  if (descr !== '<f4' && descr !== '<i4') {
    // Name the type as NumPy users know it: np.save writes float64 unless told otherwise.
    const m = /^[<>|=]([fiu])([0-9]+)$/.exec(descr);
    const name = m ? ` (${{ f: 'float', i: 'int', u: 'uint' }[m[1] as 'f' | 'i' | 'u']}${Number(m[2]) * 8}${descr[0] === '>' ? ', big-endian' : ''})` : '';
    throw new Error(`unsupported .npy dtype '${descr}'${name} (expected '<f4' or '<i4')`);
  }
  if (fortran && shape.length > 1) throw new Error('unsupported .npy in Fortran order (fortran_order: True); save it in C order');
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw new Error(`.npy shape (${shape.join(', ')}) is too large`);
  }
  const dataStart = start + hlen;
  const need = count * 4;
  const have = buf.length - dataStart;
  if (have < need) throw new Error(`truncated: ${have} data bytes, shape (${shape.join(', ')}) of ${descr} needs ${need}`);
  if (have > need) throw new Error(`${have - need} trailing bytes after the data of shape (${shape.join(', ')}) of ${descr}`);
  // Copy into a fresh, aligned buffer (Node Buffers are views into a shared pool).
  const body = Uint8Array.prototype.slice.call(buf, dataStart, dataStart + need);
  const data = descr === '<f4' ? new Float32Array(body.buffer, 0, count) : new Int32Array(body.buffer, 0, count);
  return { dtype: descr, shape, data };
}
