/**
 * A restricted Python unpickler (protocols 0-5). Pickles are programs that can call any Python
 * function; this one only builds data (None, bools, ints, floats, strings, bytes, lists, tuples,
 * dicts, sets) and resolves GLOBAL/REDUCE through an allow-list the caller supplies, so a hostile
 * file can at worst be refused. Every length field is checked against the bytes that remain
 * before anything is allocated, and the machine is iterative (no recursion), so truncated,
 * corrupted or deeply nested input ends in a UserError, never a crash or a huge allocation.
 *
 * Python 2 byte strings (STRING, BINSTRING, SHORT_BINSTRING) decode as latin-1 by default, like
 * Python 3's `pickle.load(f, encoding='latin1')`; `byteStrings: 'utf8'` decodes them (and Python 3
 * `bytes`) as UTF-8 instead, which is what GenSen's vocabularies hold (PROTOCOL.md section 1).
 */
import { Buffer } from 'node:buffer';
import { UserError } from '../util/errors.js';

/** A value usable as a dict key or set element. */
export type PyKey = string | number | bigint | boolean | null;

/** Anything the allow-list handlers build (tensor references, storages, ...). */
export interface PyObject {
  readonly pyType: string;
}

/** A resolved, allowed global (a class or function named by GLOBAL/STACK_GLOBAL/INST). */
export interface PyGlobalRef extends PyObject {
  readonly pyType: 'global';
  readonly module: string;
  readonly name: string;
  readonly handler: GlobalHandler;
}

/**
 * Python values as this unpickler builds them: tuples and lists are arrays, dicts (and
 * OrderedDicts) Maps in insertion order, sets Sets, bytes Uint8Arrays, ints numbers when they
 * are safe integers and bigints otherwise.
 */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyKey, PyValue> | Set<PyKey> | PyObject;

/** What an allowed global may do. A global without `call` can only be passed around as a value. */
export interface GlobalHandler {
  /** REDUCE / NEWOBJ / INST / OBJ with these positional arguments. */
  readonly call?: (args: readonly PyValue[]) => PyValue;
}

export interface UnpickleOptions {
  /** Named in every error message. */
  readonly file: string;
  /** Byte offset of the pickle within `data` (several pickles may follow each other). */
  readonly offset?: number;
  /** Allowed globals keyed `module.name`; anything else is refused. */
  readonly globals?: ReadonlyMap<string, GlobalHandler>;
  /** Resolves PERSID / BINPERSID ids; without it persistent ids are refused. */
  readonly persistentLoad?: (pid: PyValue) => PyValue;
  /**
   * How byte strings become text. `latin1` (default): Python 2 strings as latin-1, Python 3 `bytes`
   * stay bytes. `utf8`: both decode as UTF-8, so they can be dict keys; a string that is not valid
   * UTF-8 falls back to latin-1 and is reported to `onLatin1Fallback`.
   */
  readonly byteStrings?: 'latin1' | 'utf8';
  readonly onLatin1Fallback?: (text: string, bytes: Uint8Array) => void;
}

export interface UnpickleResult {
  readonly value: PyValue;
  /** Offset just past the STOP opcode. */
  readonly end: number;
}

/** Longest decimal literal / LONG payload accepted; real checkpoints use a few dozen bytes. */
const MAX_INT_DIGITS = 4300; // Python's own int <-> str conversion limit
const MAX_LONG_BYTES = 2048;

/** codecs.escape_decode's one-character escapes. */
const SIMPLE_ESCAPES: Record<number, number> = {
  0x5c: 0x5c,
  0x27: 0x27,
  0x22: 0x22,
  0x61: 7,
  0x62: 8,
  0x66: 12,
  0x6e: 10,
  0x72: 13,
  0x74: 9,
  0x76: 11,
};

/** ISO-8859-1 proper (WHATWG's TextDecoder('latin1') is windows-1252, which differs at 0x80-0x9f). */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}
// ignoreBOM: a leading U+FEFF is part of the string, as in Python, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function isPyObject(v: PyValue | undefined): v is PyObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set) && !(v instanceof Uint8Array);
}

export function isGlobalRef(v: PyValue | undefined): v is PyGlobalRef {
  return isPyObject(v) && v.pyType === 'global';
}

/** Python type name of a value, for error messages. */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list/tuple';
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (isGlobalRef(v)) return `${v.module}.${v.name}`;
  return v.pyType;
}

/**
 * A string from an untrusted file made safe for a one-line message: quoted, control and
 * line-breaking characters escaped, long strings cut.
 */
export function quoted(s: string, max = 80): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  const esc = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\']/g, (c) => {
    if (c === '\\' || c === "'") return `\\${c}`;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `'${esc}'`;
}

function isKey(v: PyValue): v is PyKey {
  const t = typeof v;
  return v === null || t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean';
}

/** Integers as numbers when exact, bigints beyond 2^53. */
function normInt(b: bigint): number | bigint {
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

const OPNAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

class Machine {
  private pos: number;
  private opStart = 0;
  private op = 0;
  private stack: PyValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    private readonly opts: UnpickleOptions,
  ) {
    this.pos = opts.offset ?? 0;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private where(): string {
    const name = OPNAMES[this.op] ?? `0x${this.op.toString(16).padStart(2, '0')}`;
    return `${this.opts.file}: corrupt pickle at byte ${this.opStart} (${name})`;
  }

  private fail(what: string): never {
    throw new UserError(`${this.where()}: ${what}`);
  }

  private truncated(need: number | string): never {
    throw new UserError(
      `${this.opts.file}: truncated file: pickle opcode ${OPNAMES[this.op] ?? '?'} at byte ${this.opStart} ` +
        `needs ${need} more bytes but the file ends at byte ${this.data.length}`,
    );
  }

  private take(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) this.fail(`invalid length ${n}`);
    if (n > this.data.length - this.pos) this.truncated(n);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    if (this.pos >= this.data.length) this.truncated(1);
    return this.data[this.pos++]!;
  }

  private u16(): number {
    if (this.pos + 2 > this.data.length) this.truncated(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    if (this.pos + 4 > this.data.length) this.truncated(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private i32(): number {
    if (this.pos + 4 > this.data.length) this.truncated(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** 8-byte little-endian length; anything beyond the file is truncation. */
  private u64len(): number {
    if (this.pos + 8 > this.data.length) this.truncated(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.data.length - this.pos)) this.truncated(v.toString());
    return Number(v);
  }

  /** A text line without its trailing newline (protocol 0 arguments). */
  private line(): Uint8Array {
    const nl = this.data.indexOf(0x0a, this.pos);
    if (nl < 0) this.truncated('a newline-terminated argument,');
    const out = this.data.subarray(this.pos, nl);
    this.pos = nl + 1;
    return out;
  }

  private asciiLine(): string {
    return latin1(this.line());
  }

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  /** Like Python's metastack: items below the innermost MARK are out of reach. */
  private floor(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
  }

  private pop(): PyValue {
    if (this.stack.length <= this.floor()) this.fail('stack underflow');
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (this.stack.length <= this.floor()) this.fail('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyValue[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK on the stack');
    return this.stack.splice(m);
  }

  private key(v: PyValue): PyKey {
    if (!isKey(v)) this.fail(`unsupported dict key or set element of type ${pyTypeName(v)}`);
    return v;
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (!(target instanceof Map)) this.fail(`SETITEM on a ${pyTypeName(target)}, not a dict`);
    if (items.length % 2 !== 0) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) target.set(this.key(items[i]!), items[i + 1]!);
  }

  private append(target: PyValue, items: PyValue[]): void {
    if (!Array.isArray(target)) this.fail(`APPEND on a ${pyTypeName(target)}, not a list`);
    for (const it of items) target.push(it);
  }

  private global(module: string, name: string): PyGlobalRef {
    const handler = this.opts.globals?.get(`${module}.${name}`);
    if (!handler) {
      throw new UserError(`refusing to load ${this.opts.file}: global ${quoted(`${module}.${name}`, 200)} is not an allowed construct`);
    }
    return { pyType: 'global', module, name, handler };
  }

  private call(fn: PyValue, args: PyValue): PyValue {
    if (!isGlobalRef(fn)) this.fail(`cannot call a ${pyTypeName(fn)}`);
    if (!Array.isArray(args)) this.fail(`arguments of ${fn.module}.${fn.name} are a ${pyTypeName(args)}, not a tuple`);
    if (!fn.handler.call) this.fail(`${fn.module}.${fn.name} cannot be called`);
    return fn.handler.call(args);
  }

  private persistent(pid: PyValue): PyValue {
    if (!this.opts.persistentLoad) this.fail('persistent ids are not expected in this file');
    return this.opts.persistentLoad(pid);
  }

  private memoGet(idx: number): PyValue {
    const v = this.memo.get(idx);
    if (v === undefined) this.fail(`memo entry ${idx} was never stored`);
    return v;
  }

  private parseDecimal(text: string, what: string): bigint {
    const t = text.trim();
    if (t.length > MAX_INT_DIGITS || !/^[+-]?\d+$/.test(t)) this.fail(`bad ${what} literal ${quoted(t, 40)}`);
    return BigInt(t);
  }

  private long(bytes: Uint8Array): number | bigint {
    if (bytes.length === 0) return 0;
    if (bytes.length > MAX_LONG_BYTES) this.fail(`integer of ${bytes.length} bytes is too large`);
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
    return normInt(v);
  }

  private utf8(bytes: Uint8Array): string {
    try {
      return utf8.decode(bytes);
    } catch {
      this.fail('string is not valid UTF-8');
    }
  }

  /** A Python 2 byte string (or, in `utf8` mode, Python 3 bytes) as the caller asked for it. */
  private byteString(b: Uint8Array): string {
    if (this.opts.byteStrings !== 'utf8') return latin1(b);
    try {
      return utf8.decode(b);
    } catch {
      const text = latin1(b);
      this.opts.onLatin1Fallback?.(text, b);
      return text;
    }
  }

  /** BINBYTES and friends: bytes, or text in `utf8` mode. */
  private pyBytes(b: Uint8Array): PyValue {
    return this.opts.byteStrings === 'utf8' ? this.byteString(b) : b.slice();
  }

  /** STRING's argument: a Python repr, quoted, with backslash escapes (codecs.escape_decode). */
  private pyString(raw: Uint8Array): string {
    const q = raw[0];
    if (raw.length < 2 || (q !== 0x27 && q !== 0x22) || raw[raw.length - 1] !== q) {
      this.fail('STRING argument is not a quoted string');
    }
    const s = raw.subarray(1, raw.length - 1);
    const out: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c !== 0x5c) {
        out.push(c);
        continue;
      }
      if (i + 1 >= s.length) this.fail('STRING ends in a lone backslash');
      const e = s[++i]!;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) out.push(simple);
      else if (e === 0x0a)
        continue; // backslash-newline: line continuation
      else if (e === 0x78) {
        const hex = latin1(s.subarray(i + 1, i + 3));
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('invalid \\x escape in STRING');
        out.push(parseInt(hex, 16));
        i += 2;
      } else if (e >= 0x30 && e <= 0x37) {
        let v = e - 0x30;
        for (let k = 0; k < 2 && i + 1 < s.length && s[i + 1]! >= 0x30 && s[i + 1]! <= 0x37; k++) {
          v = v * 8 + (s[++i]! - 0x30);
        }
        out.push(v & 0xff);
      } else out.push(0x5c, e); // unknown escapes stay as written
    }
    return this.byteString(Uint8Array.from(out));
  }

  /** UNICODE's argument: raw-unicode-escape (latin-1 plus \uXXXX and \UXXXXXXXX). */
  private rawUnicode(raw: Uint8Array): string {
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c !== 0x5c) {
        out += String.fromCharCode(c);
        continue;
      }
      let j = i;
      while (j < raw.length && raw[j] === 0x5c) j++;
      const run = j - i;
      const next = raw[j];
      if (run % 2 === 1 && (next === 0x75 || next === 0x55)) {
        out += '\\'.repeat(run - 1);
        const n = next === 0x75 ? 4 : 8;
        const hex = latin1(raw.subarray(j + 1, j + 1 + n));
        if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) this.fail('truncated \\uXXXX escape in UNICODE');
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail('\\U escape out of range in UNICODE');
        out += String.fromCodePoint(cp);
        i = j + n;
      } else {
        out += '\\'.repeat(run);
        i = j - 1;
      }
    }
    return out;
  }

  private parseFloat(text: string): number {
    const t = text.trim().toLowerCase();
    if (/^[+-]?inf(inity)?$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(t)) return NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) this.fail(`bad FLOAT literal ${quoted(t, 40)}`);
    return Number(t);
  }

  run(): UnpickleResult {
    const d = this.data;
    for (;;) {
      this.opStart = this.pos;
      if (this.pos >= d.length) {
        this.op = 0;
        throw new UserError(`${this.opts.file}: truncated file: pickle has no STOP opcode (file ends at byte ${d.length})`);
      }
      const op = d[this.pos++]!;
      this.op = op;
      switch (op) {
        case 0x80: {
          // PROTO
          const p = this.u8();
          if (p > 5) this.fail(`unsupported pickle protocol ${p}`);
          break;
        }
        case 0x95: // FRAME: framing is advisory; only its length is checked
          this.u64len();
          break;
        case 0x2e: {
          // STOP
          const value = this.pop();
          return { value, end: this.pos };
        }
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.stack.length > this.floor()) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x49: {
          // INT (I01/I00 are Python 2's booleans)
          const t = this.asciiLine();
          if (t === '01') this.push(true);
          else if (t === '00') this.push(false);
          else this.push(normInt(this.parseDecimal(t, 'INT')));
          break;
        }
        case 0x4c: {
          // LONG
          let t = this.asciiLine();
          if (t.endsWith('L')) t = t.slice(0, -1);
          this.push(normInt(this.parseDecimal(t, 'LONG')));
          break;
        }
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.take(this.u8())));
          break;
        case 0x8b: {
          // LONG4
          const n = this.i32();
          if (n < 0) this.fail('negative LONG4 length');
          this.push(this.long(this.take(n)));
          break;
        }
        case 0x46: // FLOAT
          this.push(this.parseFloat(this.asciiLine()));
          break;
        case 0x47: {
          // BINFLOAT (big-endian)
          if (this.pos + 8 > d.length) this.truncated(8);
          this.push(this.view.getFloat64(this.pos, false));
          this.pos += 8;
          break;
        }
        case 0x53: // STRING
          this.push(this.pyString(this.line()));
          break;
        case 0x54: {
          // BINSTRING
          const n = this.i32();
          if (n < 0) this.fail('negative BINSTRING length');
          this.push(this.byteString(this.take(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(this.byteString(this.take(this.u8())));
          break;
        case 0x56: // UNICODE
          this.push(this.rawUnicode(this.line()));
          break;
        case 0x58: // BINUNICODE
          this.push(this.utf8(this.take(this.u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8(this.take(this.u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8(this.take(this.u64len())));
          break;
        case 0x42: // BINBYTES
          this.push(this.pyBytes(this.take(this.u32())));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.pyBytes(this.take(this.u8())));
          break;
        case 0x8e: // BINBYTES8
          this.push(this.pyBytes(this.take(this.u64len())));
          break;
        case 0x96: // BYTEARRAY8
          this.push(this.take(this.u64len()).slice());
          break;
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          this.fail('out-of-band buffers are not supported');
          break;
        case 0x29: // EMPTY_TUPLE
          this.push([]);
          break;
        case 0x85: // TUPLE1
          this.push([this.pop()]);
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.push([a, b]);
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push([a, b, c]);
          break;
        }
        case 0x74: // TUPLE
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          const m = new Map<PyKey, PyValue>();
          this.setItems(m, items);
          this.push(m);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new Set());
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof Set)) this.fail(`ADDITEMS on a ${pyTypeName(s)}, not a set`);
          for (const it of items) s.add(this.key(it));
          break;
        }
        case 0x91: {
          // FROZENSET
          const items = this.popMark();
          this.push(new Set(items.map((it) => this.key(it))));
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.append(this.top(), [v]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x67: // GET
          this.push(this.memoGet(Number(this.parseDecimal(this.asciiLine(), 'GET'))));
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoGet(this.u32()));
          break;
        case 0x70: {
          // PUT
          const idx = this.parseDecimal(this.asciiLine(), 'PUT');
          if (idx < 0n) this.fail('negative PUT index');
          this.memo.set(Number(idx), this.top());
          break;
        }
        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.u32(), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x63: {
          // GLOBAL
          const module = this.asciiLine();
          const name = this.asciiLine();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(module, name));
          break;
        }
        case 0x69: {
          // INST
          const module = this.asciiLine();
          const name = this.asciiLine();
          const fn = this.global(module, name);
          this.push(this.call(fn, this.popMark()));
          break;
        }
        case 0x6f: {
          // OBJ
          const items = this.popMark();
          if (items.length === 0) this.fail('OBJ without a class');
          this.push(this.call(items[0]!, items.slice(1)));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.push(this.call(fn, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(kwargs instanceof Map) || kwargs.size > 0) this.fail('keyword arguments are not supported');
          this.push(this.call(cls, args));
          break;
        }
        case 0x62: {
          // BUILD: instance state (e.g. OrderedDict._metadata) carries nothing we use
          this.pop();
          const target = this.top();
          if (!(target instanceof Map) && !isPyObject(target)) this.fail(`BUILD on a ${pyTypeName(target)}`);
          break;
        }
        case 0x50: // PERSID
          this.push(this.persistent(this.asciiLine()));
          break;
        case 0x51: // BINPERSID
          this.push(this.persistent(this.pop()));
          break;
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          this.fail('extension-registry globals are not allowed');
          break;
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}: not a pickle, or a corrupt one`);
      }
    }
  }
}

/** Reads one pickle starting at `opts.offset` (default 0). */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): UnpickleResult {
  return new Machine(data, opts).run();
}
