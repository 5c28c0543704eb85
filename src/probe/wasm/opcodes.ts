/**
 * The one opcode table of the hand-assembled kernels: every instruction they use, with its
 * encoding, its immediates and its stack effect. The assembler (assemble.ts) encodes from it and
 * the disassembler (disassemble.ts) decodes with it, so the bytes and the committed WAT listings
 * cannot disagree about what an opcode means. An instruction missing here cannot be assembled
 * and is rejected when disassembling; add it here first.
 */

/** How an instruction's immediates are encoded after its opcode. */
export type Immediate =
  | 'none'
  | 'blocktype' // one byte; the kernels use only 0x40 (no result)
  | 'label' // relative depth, unsigned LEB128
  | 'local' // local index, unsigned LEB128
  | 'i32' // signed LEB128
  | 'memarg' // alignment (log2) then offset, both unsigned LEB128
  | 'lane' // one byte
  | 'v128'; // sixteen bytes

export interface OpInfo {
  /** 0xfd for the SIMD instructions, whose opcode follows as unsigned LEB128. */
  readonly prefix?: 0xfd;
  readonly code: number;
  readonly imm: Immediate;
  /** Operands popped and results pushed (what the listing folds into S-expressions). */
  readonly pop: number;
  readonly push: number;
  /** Natural alignment (log2 of the access size) of a memory access; the listing omits it. */
  readonly align?: number;
}

export const OPCODES = {
  block: { code: 0x02, imm: 'blocktype', pop: 0, push: 0 },
  loop: { code: 0x03, imm: 'blocktype', pop: 0, push: 0 },
  end: { code: 0x0b, imm: 'none', pop: 0, push: 0 },
  br: { code: 0x0c, imm: 'label', pop: 0, push: 0 },
  br_if: { code: 0x0d, imm: 'label', pop: 1, push: 0 },
  'local.get': { code: 0x20, imm: 'local', pop: 0, push: 1 },
  'local.set': { code: 0x21, imm: 'local', pop: 1, push: 0 },
  select: { code: 0x1b, imm: 'none', pop: 3, push: 1 },
  'i32.load': { code: 0x28, imm: 'memarg', pop: 1, push: 1, align: 2 },
  'f32.load': { code: 0x2a, imm: 'memarg', pop: 1, push: 1, align: 2 },
  'f64.load': { code: 0x2b, imm: 'memarg', pop: 1, push: 1, align: 3 },
  'i32.store': { code: 0x36, imm: 'memarg', pop: 2, push: 0, align: 2 },
  'i64.store': { code: 0x37, imm: 'memarg', pop: 2, push: 0, align: 3 },
  'f32.store': { code: 0x38, imm: 'memarg', pop: 2, push: 0, align: 2 },
  'i32.const': { code: 0x41, imm: 'i32', pop: 0, push: 1 },
  'i32.lt_s': { code: 0x48, imm: 'none', pop: 2, push: 1 },
  'i32.ge_s': { code: 0x4e, imm: 'none', pop: 2, push: 1 },
  'i32.ge_u': { code: 0x4f, imm: 'none', pop: 2, push: 1 },
  'i32.add': { code: 0x6a, imm: 'none', pop: 2, push: 1 },
  'i32.sub': { code: 0x6b, imm: 'none', pop: 2, push: 1 },
  'i32.mul': { code: 0x6c, imm: 'none', pop: 2, push: 1 },
  'i32.shl': { code: 0x74, imm: 'none', pop: 2, push: 1 },
  'f32.abs': { code: 0x8b, imm: 'none', pop: 1, push: 1 },
  'f32.add': { code: 0x92, imm: 'none', pop: 2, push: 1 },
  'f32.sub': { code: 0x93, imm: 'none', pop: 2, push: 1 },
  'f32.mul': { code: 0x94, imm: 'none', pop: 2, push: 1 },
  'f32.demote_f64': { code: 0xb6, imm: 'none', pop: 1, push: 1 },
  'f64.promote_f32': { code: 0xbb, imm: 'none', pop: 1, push: 1 },
  'v128.load': { prefix: 0xfd, code: 0x00, imm: 'memarg', pop: 1, push: 1, align: 4 },
  'v128.store': { prefix: 0xfd, code: 0x0b, imm: 'memarg', pop: 2, push: 0, align: 4 },
  'v128.const': { prefix: 0xfd, code: 0x0c, imm: 'v128', pop: 0, push: 1 },
  'f32x4.splat': { prefix: 0xfd, code: 0x13, imm: 'none', pop: 1, push: 1 },
  'f64x2.splat': { prefix: 0xfd, code: 0x14, imm: 'none', pop: 1, push: 1 },
  'i64x2.extract_lane': { prefix: 0xfd, code: 0x1d, imm: 'lane', pop: 1, push: 1 },
  'f32x4.extract_lane': { prefix: 0xfd, code: 0x1f, imm: 'lane', pop: 1, push: 1 },
  'f64x2.extract_lane': { prefix: 0xfd, code: 0x21, imm: 'lane', pop: 1, push: 1 },
  'f64x2.replace_lane': { prefix: 0xfd, code: 0x22, imm: 'lane', pop: 2, push: 1 },
  'i32x4.eq': { prefix: 0xfd, code: 0x37, imm: 'none', pop: 2, push: 1 },
  'i32x4.gt_s': { prefix: 0xfd, code: 0x3b, imm: 'none', pop: 2, push: 1 },
  'f64x2.lt': { prefix: 0xfd, code: 0x49, imm: 'none', pop: 2, push: 1 },
  'f64x2.ge': { prefix: 0xfd, code: 0x4c, imm: 'none', pop: 2, push: 1 },
  'v128.and': { prefix: 0xfd, code: 0x4e, imm: 'none', pop: 2, push: 1 },
  'v128.or': { prefix: 0xfd, code: 0x50, imm: 'none', pop: 2, push: 1 },
  'v128.bitselect': { prefix: 0xfd, code: 0x52, imm: 'none', pop: 3, push: 1 },
  'v128.load64_zero': { prefix: 0xfd, code: 0x5d, imm: 'memarg', pop: 1, push: 1, align: 3 },
  'f32x4.demote_f64x2_zero': { prefix: 0xfd, code: 0x5e, imm: 'none', pop: 1, push: 1 },
  'f64x2.promote_low_f32x4': { prefix: 0xfd, code: 0x5f, imm: 'none', pop: 1, push: 1 },
  'f32x4.nearest': { prefix: 0xfd, code: 0x6a, imm: 'none', pop: 1, push: 1 },
  'i32x4.extend_low_i16x8_u': { prefix: 0xfd, code: 0xa9, imm: 'none', pop: 1, push: 1 },
  'i32x4.extend_high_i16x8_u': { prefix: 0xfd, code: 0xaa, imm: 'none', pop: 1, push: 1 },
  'i32x4.shl': { prefix: 0xfd, code: 0xab, imm: 'none', pop: 2, push: 1 },
  'i32x4.add': { prefix: 0xfd, code: 0xae, imm: 'none', pop: 2, push: 1 },
  'i64x2.extend_low_i32x4_s': { prefix: 0xfd, code: 0xc7, imm: 'none', pop: 1, push: 1 },
  'i64x2.shl': { prefix: 0xfd, code: 0xcb, imm: 'none', pop: 2, push: 1 },
  'i64x2.add': { prefix: 0xfd, code: 0xce, imm: 'none', pop: 2, push: 1 },
  'f32x4.abs': { prefix: 0xfd, code: 0xe0, imm: 'none', pop: 1, push: 1 },
  'f32x4.neg': { prefix: 0xfd, code: 0xe1, imm: 'none', pop: 1, push: 1 },
  'f32x4.add': { prefix: 0xfd, code: 0xe4, imm: 'none', pop: 2, push: 1 },
  'f32x4.sub': { prefix: 0xfd, code: 0xe5, imm: 'none', pop: 2, push: 1 },
  'f32x4.mul': { prefix: 0xfd, code: 0xe6, imm: 'none', pop: 2, push: 1 },
  'f32x4.div': { prefix: 0xfd, code: 0xe7, imm: 'none', pop: 2, push: 1 },
  'f32x4.min': { prefix: 0xfd, code: 0xe8, imm: 'none', pop: 2, push: 1 },
  'f32x4.max': { prefix: 0xfd, code: 0xe9, imm: 'none', pop: 2, push: 1 },
  'f64x2.abs': { prefix: 0xfd, code: 0xec, imm: 'none', pop: 1, push: 1 },
  'f32x4.pmin': { prefix: 0xfd, code: 0xea, imm: 'none', pop: 2, push: 1 },
  'f32x4.pmax': { prefix: 0xfd, code: 0xeb, imm: 'none', pop: 2, push: 1 },
  'f64x2.neg': { prefix: 0xfd, code: 0xed, imm: 'none', pop: 1, push: 1 },
  'f64x2.sqrt': { prefix: 0xfd, code: 0xef, imm: 'none', pop: 1, push: 1 },
  'f64x2.add': { prefix: 0xfd, code: 0xf0, imm: 'none', pop: 2, push: 1 },
  'f64x2.sub': { prefix: 0xfd, code: 0xf1, imm: 'none', pop: 2, push: 1 },
  'f64x2.mul': { prefix: 0xfd, code: 0xf2, imm: 'none', pop: 2, push: 1 },
  'f64x2.div': { prefix: 0xfd, code: 0xf3, imm: 'none', pop: 2, push: 1 },
  'i32x4.trunc_sat_f32x4_s': { prefix: 0xfd, code: 0xf8, imm: 'none', pop: 1, push: 1 },
  'i32x4.trunc_sat_f64x2_s_zero': { prefix: 0xfd, code: 0xfc, imm: 'none', pop: 1, push: 1 },
  'f64x2.convert_low_i32x4_s': { prefix: 0xfd, code: 0xfe, imm: 'none', pop: 1, push: 1 },
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPCODES;

/** Value types of the kernels' signatures and locals. */
export const VALTYPES = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;

export type ValType = keyof typeof VALTYPES;

const key = (prefix: number | undefined, code: number): number => (prefix ?? 0) * 0x10000 + code;

const BY_CODE = new Map<number, OpName>((Object.entries(OPCODES) as [OpName, OpInfo][]).map(([name, info]) => [key(info.prefix, info.code), name]));

/** The instruction with this (prefix, opcode), or undefined if the kernels do not use it. */
export function opByCode(prefix: number | undefined, code: number): OpName | undefined {
  return BY_CODE.get(key(prefix, code));
}
