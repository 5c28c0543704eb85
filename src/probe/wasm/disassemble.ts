/**
 * A disassembler for the kernels' modules: the sections and the instruction subset of the opcode
 * table, printed as WAT with operands folded into S-expressions. It is what keeps the committed
 * listings (linear.wat, optim.wat) true: the listing test disassembles the assembled bytes and
 * compares, and scripts/wasm-listing.ts rewrites them. Every decoded instruction is re-encoded
 * with the assembler and compared with the bytes it came from, so a listing cannot hide a byte
 * (a non-canonical LEB128, an unknown opcode, trailing data): any of those throws.
 */
import { op } from './assemble.js';
import { OPCODES, VALTYPES, opByCode, type OpInfo, type OpName, type ValType } from './opcodes.js';

export interface Instr {
  readonly name: OpName;
  readonly imm: readonly number[];
}

const TYPE_NAMES = new Map<number, ValType>((Object.entries(VALTYPES) as [ValType, number][]).map(([n, b]) => [b, n]));

class Reader {
  pos = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly end = b.length,
  ) {}

  fail(what: string): never {
    throw new Error(`wasm disassembler: ${what} at byte ${this.pos}`);
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.b[this.pos++]!;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.end) this.fail('unexpected end');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) this.fail('LEB128 over 32 bits');
    }
    if (result > 0xffffffff) this.fail('LEB128 over 32 bits');
    return result;
  }
  sleb(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
      if (shift > 35) this.fail('LEB128 over 32 bits');
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result | 0;
  }
  name(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(this.uleb()));
  }
  valtype(): ValType {
    const b = this.byte();
    const t = TYPE_NAMES.get(b);
    if (!t) this.fail(`value type 0x${b.toString(16)} not used by the kernels`);
    return t;
  }
  /** A sub-reader over the next n bytes, which this reader skips. */
  slice(n: number): Reader {
    if (this.pos + n > this.end) this.fail('section runs past the end');
    const r = new Reader(this.b, this.pos + n);
    r.pos = this.pos;
    this.pos += n;
    return r;
  }
}

function readInstr(r: Reader): Instr {
  const first = r.byte();
  const prefix = first === 0xfd ? 0xfd : undefined;
  const code = prefix === undefined ? first : r.uleb();
  const name = opByCode(prefix, code);
  if (!name) r.fail(`opcode ${prefix ? '0xfd ' : ''}0x${code.toString(16)} not in the opcode table`);
  const info: OpInfo = OPCODES[name];
  let imm: number[];
  switch (info.imm) {
    case 'none':
      imm = [];
      break;
    case 'blocktype':
      if (r.byte() !== 0x40) r.fail(`${name} with a result type`);
      imm = [];
      break;
    case 'label':
    case 'local':
      imm = [r.uleb()];
      break;
    case 'i32':
      imm = [r.sleb()];
      break;
    case 'memarg': {
      const align = r.uleb();
      imm = [r.uleb(), align]; // the assembler's order: offset, then alignment
      break;
    }
    case 'lane':
      imm = [r.byte()];
      break;
    case 'v128':
      imm = [...r.bytes(16)];
      break;
  }
  return { name, imm };
}

/** Decode one function body's instructions, checking each re-encodes to exactly its bytes. */
function readBody(r: Reader, bytes: Uint8Array): Instr[] {
  const out: Instr[] = [];
  let depth = 1;
  while (depth > 0) {
    const start = r.pos;
    const ins = readInstr(r);
    const again = op(ins.name, ...ins.imm);
    const orig = bytes.subarray(start, r.pos);
    if (again.length !== orig.length || again.some((b, i) => b !== orig[i])) r.fail(`${ins.name} not in canonical encoding`);
    if (ins.name === 'block' || ins.name === 'loop') depth++;
    if (ins.name === 'end') depth--;
    out.push(ins);
  }
  if (!r.done) r.fail('bytes after the function body');
  return out;
}

export interface DecodedFunction {
  readonly name: string;
  readonly locals: readonly ValType[];
  readonly body: readonly Instr[];
}

export interface DecodedModule {
  readonly params: readonly ValType[];
  readonly memoryMin: number;
  readonly functions: readonly DecodedFunction[];
}

/** Parse a module of the kernels' shape (see assembleModule); anything else throws. */
export function decodeModule(bytes: Uint8Array): DecodedModule {
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!magic.every((b) => r.byte() === b)) r.fail('not a version-1 WebAssembly module');
  const want = (id: number): Reader => {
    const got = r.byte();
    if (got !== id) r.fail(`section ${got} where section ${id} was expected`);
    return r.slice(r.uleb());
  };

  const types = want(1);
  if (types.uleb() !== 1 || types.byte() !== 0x60) types.fail('one function type expected');
  const params = Array.from({ length: types.uleb() }, () => types.valtype());
  if (types.uleb() !== 0 || !types.done) types.fail('a function type without results expected');

  const imports = want(2);
  if (imports.uleb() !== 1 || imports.name() !== 'env' || imports.name() !== 'mem') imports.fail('one import, env.mem, expected');
  if (imports.byte() !== 0x02 || imports.byte() !== 0x00) imports.fail('a memory without maximum expected');
  const memoryMin = imports.uleb();
  if (!imports.done) imports.fail('bytes after the imports');

  const funcs = want(3);
  const n = funcs.uleb();
  for (let i = 0; i < n; i++) if (funcs.uleb() !== 0) funcs.fail('every function of type 0 expected');
  if (!funcs.done) funcs.fail('bytes after the function section');

  const exports = want(7);
  if (exports.uleb() !== n) exports.fail('one export per function expected');
  const names = Array.from({ length: n }, (_, i) => {
    const name = exports.name();
    if (exports.byte() !== 0x00 || exports.uleb() !== i) exports.fail(`export ${name}: function ${i} expected`);
    return name;
  });
  if (!exports.done) exports.fail('bytes after the exports');

  const code = want(10);
  if (code.uleb() !== n) code.fail('one body per function expected');
  const functions = names.map((name): DecodedFunction => {
    const f = code.slice(code.uleb());
    const locals: ValType[] = [];
    const runs = f.uleb();
    for (let i = 0; i < runs; i++) {
      const count = f.uleb();
      const t = f.valtype();
      for (let j = 0; j < count; j++) locals.push(t);
    }
    return { name, locals, body: readBody(f, bytes) };
  });
  if (!code.done) code.fail('bytes after the code section');
  if (!r.done) r.fail('sections the kernels do not have');
  return { params, memoryMin, functions };
}

/** A folded expression: an instruction and the expressions that compute its operands. */
interface Expr {
  readonly text: string;
  readonly args: Expr[];
}

const WIDTH = 100;

function render(e: Expr, indent: number): string[] {
  const flat = (x: Expr): string => `(${[x.text, ...x.args.map(flat)].join(' ')})`;
  const one = flat(e);
  if (indent + one.length <= WIDTH || e.args.length === 0) return [' '.repeat(indent) + one];
  const lines = [' '.repeat(indent) + '(' + e.text];
  for (const a of e.args) lines.push(...render(a, indent + 2));
  lines[lines.length - 1] += ')';
  return lines;
}

function hex32(bytes: readonly number[], at: number): string {
  const v = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  return '0x' + v.toString(16).padStart(8, '0');
}

function instrText(ins: Instr, local: (i: number) => string): string {
  const info: OpInfo = OPCODES[ins.name];
  switch (info.imm) {
    case 'none':
    case 'blocktype':
      return ins.name;
    case 'local':
      return `${ins.name} ${local(ins.imm[0]!)}`;
    case 'label':
    case 'i32':
    case 'lane':
      return `${ins.name} ${ins.imm[0]}`;
    case 'memarg': {
      const [offset, align] = ins.imm as [number, number];
      return [ins.name, ...(offset ? [`offset=${offset}`] : []), ...(align !== info.align ? [`align=${2 ** align}`] : [])].join(' ');
    }
    case 'v128':
      return `${ins.name} i32x4 ${[0, 4, 8, 12].map((o) => hex32(ins.imm, o)).join(' ')}`;
  }
}

/**
 * A function body as WAT lines: operands folded into the instruction that consumes them (the
 * unfolded order is the byte order), block and loop flat with their `end`, and the body's own
 * final `end` implicit, as WAT writes it.
 */
function bodyLines(body: readonly Instr[], local: (i: number) => string, indent: number): string[] {
  const lines: string[] = [];
  let pad = indent;
  let stack: Expr[] = [];
  // Values below a statement's operands were computed before them: print them first, unfolded
  // into the lines, so that the listing keeps the byte order.
  const flush = (): void => {
    for (const e of stack) lines.push(...render(e, pad));
    stack = [];
  };
  body.forEach((ins, n) => {
    const info: OpInfo = OPCODES[ins.name];
    if (ins.name === 'block' || ins.name === 'loop' || ins.name === 'end') {
      flush();
      if (ins.name === 'end') {
        pad -= 2;
        if (n !== body.length - 1) lines.push(' '.repeat(pad) + 'end');
      } else {
        lines.push(' '.repeat(pad) + ins.name);
        pad += 2;
      }
      return;
    }
    const args = stack.splice(Math.max(0, stack.length - info.pop));
    const e: Expr = { text: instrText(ins, local), args };
    if (info.push === 1) stack.push(e);
    else {
      flush();
      lines.push(...render(e, pad));
    }
  });
  flush();
  return lines;
}

/**
 * The module as WAT. `localNames` gives, per exported function, the names of its parameters and
 * locals ('' for an unnamed one, printed by index); `header` lines become leading comments.
 */
export function disassemble(bytes: Uint8Array, localNames: Readonly<Record<string, readonly string[]>> = {}, header: readonly string[] = []): string {
  const m = decodeModule(bytes);
  const out = [...header.map((h) => (h ? `;; ${h}` : ';;')), '(module'];
  out.push(`  (type (;0;) (func (param ${m.params.join(' ')})))`);
  out.push(`  (import "env" "mem" (memory (;0;) ${m.memoryMin}))`);
  for (const f of m.functions) {
    const names = localNames[f.name] ?? [];
    const all = [...m.params, ...f.locals];
    if (names.length > all.length) throw new Error(`wasm disassembler: ${f.name} has ${all.length} locals, ${names.length} names given`);
    const local = (i: number): string => {
      if (i >= all.length) throw new Error(`wasm disassembler: ${f.name} uses local ${i} of ${all.length}`);
      return names[i] ? `$${names[i]}` : String(i);
    };
    const decl = (kind: string, i: number): string => `(${kind} ${names[i] ? `$${names[i]}` : `(;${i};)`} ${all[i]})`;
    out.push(`  (func $${f.name} (type 0)`);
    for (let i = 0; i < m.params.length; i += 4) {
      out.push('    ' + Array.from({ length: Math.min(4, m.params.length - i) }, (_, j) => decl('param', i + j)).join(' '));
    }
    for (let i = m.params.length; i < all.length; i += 4) {
      out.push('    ' + Array.from({ length: Math.min(4, all.length - i) }, (_, j) => decl('local', i + j)).join(' '));
    }
    out.push(...bodyLines(f.body, local, 4));
    out[out.length - 1] += ')';
  }
  for (const f of m.functions) out.push(`  (export "${f.name}" (func $${f.name}))`);
  out[out.length - 1] += ')';
  return out.join('\n') + '\n';
}
