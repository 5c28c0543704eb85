/**
 * Encoding for the hand-assembled kernels: LEB128, instructions from the opcode table, and the one
 * module shape both kernel modules have (one function type, the memory imported as env.mem, every
 * function exported under its name). No toolchain and no binary blob in the repository: the bytes
 * are built here, and the committed .wat listings are disassembled from them (see README.md).
 */
import { OPCODES, VALTYPES, type OpInfo, type OpName, type ValType } from './opcodes.js';

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/**
 * One instruction. Immediates by kind: label/local/i32 one number; memarg (offset, alignLog2),
 * alignment defaulting to natural; lane one number; v128 sixteen bytes; blocktype none (0x40).
 */
export function op(name: OpName, ...imm: number[]): number[] {
  const info: OpInfo = OPCODES[name];
  const out = info.prefix === undefined ? [info.code] : [info.prefix, ...uleb(info.code)];
  const want = (n: number): void => {
    if (imm.length !== n) throw new Error(`wasm assembler: ${name} takes ${n} immediate(s), got ${imm.length}`);
  };
  switch (info.imm) {
    case 'none':
      want(0);
      return out;
    case 'blocktype':
      want(0);
      return [...out, 0x40];
    case 'label':
    case 'local':
      want(1);
      return [...out, ...uleb(imm[0]!)];
    case 'i32':
      want(1);
      return [...out, ...sleb(imm[0]!)];
    case 'memarg': {
      if (imm.length > 2) want(2);
      const [offset = 0, align = info.align!] = imm;
      return [...out, ...uleb(align), ...uleb(offset)];
    }
    case 'lane':
      want(1);
      return [...out, imm[0]!];
    case 'v128':
      want(16);
      return [...out, ...imm];
  }
}

// Shorthands the kernels are written in.
export const get = (i: number): number[] => op('local.get', i);
export const set = (i: number): number[] => op('local.set', i);
export const i32c = (v: number): number[] => op('i32.const', v);
export const br = (depth: number): number[] => op('br', depth);
export const brIf = (depth: number): number[] => op('br_if', depth);
export const BLOCK = op('block');
export const LOOP = op('loop');
export const END = op('end');
export const I32_ADD = op('i32.add');
export const I32_SUB = op('i32.sub');
export const I32_MUL = op('i32.mul');
export const I32_SHL = op('i32.shl');
export const I32_GE_S = op('i32.ge_s');
export const I32_GE_U = op('i32.ge_u');
export const F32_ADD = op('f32.add');
export const i32Load = (offset = 0): number[] => op('i32.load', offset);
export const i32Store = (offset = 0): number[] => op('i32.store', offset);
export const f32Load = (offset = 0): number[] => op('f32.load', offset);
export const f32Store = (offset = 0): number[] => op('f32.store', offset);
/** `align` is log2 bytes; natural (16 bytes) by default. */
export const v128Load = (offset = 0, align?: number): number[] => op('v128.load', offset, ...(align === undefined ? [] : [align]));
export const v128Store = (offset = 0, align?: number): number[] => op('v128.store', offset, ...(align === undefined ? [] : [align]));
export const v128Zero = (): number[] => op('v128.const', ...new Array<number>(16).fill(0));

const LANE_ARRAYS = {
  f32x4: (v: number) => new Float32Array([v, v, v, v]),
  i32x4: (v: number) => new Int32Array([v, v, v, v]),
  f64x2: (v: number) => new Float64Array([v, v]),
  i64x2: (v: number) => new BigInt64Array([BigInt(v), BigInt(v)]),
} as const;

/** A v128 constant holding `v` in every lane of the given shape (a float32 lane rounds v to float32). */
export const v128Splat = (lanes: keyof typeof LANE_ARRAYS, v: number): number[] => op('v128.const', ...new Uint8Array(LANE_ARRAYS[lanes](v).buffer));
export const f32x4Lane = (lane: number): number[] => op('f32x4.extract_lane', lane);
export const F32X4_SPLAT = op('f32x4.splat');
export const F32X4_ADD = op('f32x4.add');
export const F32X4_MUL = op('f32x4.mul');
export const F64X2_SPLAT = op('f64x2.splat');
export const F64X2_SQRT = op('f64x2.sqrt');
export const F64X2_ADD = op('f64x2.add');
export const F64X2_SUB = op('f64x2.sub');
export const F64X2_MUL = op('f64x2.mul');
export const F64X2_DIV = op('f64x2.div');

/** `for (v = 0; v < limit; v += step) body` as block/loop; `limit` and `v` are locals. */
export function forLoop(v: number, limit: number, step: number, body: number[], unsigned = false): number[] {
  return [...i32c(0), ...set(v), ...whileLoop(v, limit, step, body, unsigned)];
}

/** `while (v < limit) { body; v += step }` from v's current value; `limit` and `v` are locals. */
export function whileLoop(v: number, limit: number, step: number, body: number[], unsigned = false): number[] {
  return [
    ...BLOCK,
    ...LOOP,
    ...get(v),
    ...get(limit),
    ...(unsigned ? I32_GE_U : I32_GE_S),
    ...brIf(1),
    ...body,
    ...get(v),
    ...i32c(step),
    ...I32_ADD,
    ...set(v),
    ...br(0),
    ...END,
    ...END,
  ];
}

/**
 * Index of each named local (parameters first, in declaration order), so that a kernel's local
 * numbers and the names its listing prints come from one list. '' marks an unnamed slot.
 */
export function localIndex(names: readonly string[]): (name: string) => number {
  const seen = new Set<string>();
  for (const n of names) {
    if (n === '') continue;
    if (seen.has(n)) throw new Error(`wasm assembler: local name ${n} used twice`);
    seen.add(n);
  }
  return (n) => {
    const i = n === '' ? -1 : names.indexOf(n);
    if (i < 0) throw new Error(`wasm assembler: no local named ${n}`);
    return i;
  };
}

export interface KernelFunction {
  /** Export name. */
  readonly name: string;
  /** Instructions, ending with `end`. */
  readonly body: number[];
  /** Names of the parameters and locals, for the listing only (not part of the module bytes). */
  readonly localNames: readonly string[];
}

export interface KernelModule {
  /** Parameter types of the one function type every function has (no results). */
  readonly params: readonly ValType[];
  /** Locals every function declares, as (count, type) runs. */
  readonly locals: readonly (readonly [number, ValType])[];
  readonly functions: readonly KernelFunction[];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

export function assembleModule(m: KernelModule): Uint8Array<ArrayBuffer> {
  const nLocals = m.params.length + m.locals.reduce((s, [n]) => s + n, 0);
  for (const f of m.functions) {
    if (f.localNames.length !== nLocals) {
      throw new Error(`wasm assembler: ${f.name} names ${f.localNames.length} locals, declares ${nLocals}`);
    }
  }
  const fnType = [0x60, ...vec(m.params.map((t) => [VALTYPES[t]])), 0];
  const locals = vec(m.locals.map(([n, t]) => [...uleb(n), VALTYPES[t]]));
  const code = (body: number[]): number[] => {
    const f = [...locals, ...body];
    return [...uleb(f.length), ...f];
  };
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([fnType])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec(m.functions.map(() => [0]))),
    ...section(7, vec(m.functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(m.functions.map((f) => code(f.body)))),
  ]);
}
