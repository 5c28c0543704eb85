/**
 * The bytecode of the pair-feature kernels: SentEval's sentence-pair features combined from the two
 * sentence vectors a streamed minibatch has just copied into its rows (linear.ts, `stage`),
 *   absdiffProd  [u | v]          → [|u−v| | u⊙v]           (MRPC, SICK, STS-B), in place
 *   nli          [u | v | · | ·]  → [u | v | u⊙v | |u−v|]   (SNLI, MultiNLI, Quora)
 * four lanes at a time, then one lane at a time for the last d mod 4 columns. The combination in
 * scalar JavaScript (features/source.ts) cost about 2.5 ns a value: 650 µs of each 64-row minibatch
 * of 8,192-d pair features, more than the probe's forward and backward together.
 *
 * Bit for bit what source.ts's loop stores: a float32 subtraction, absolute value and product are
 * each correctly rounded (JavaScript computes them in float64 and the Float32Array store rounds
 * once, which gives the same float32: the float64 product of two float32 values is exact, and a
 * difference rounded twice from float64 equals it rounded once), and the absolute value clears the
 * sign bit either way (a NaN excepted, which only ∞·0 makes, from a half-width store's overflow: x64's
 * SIMD sets its sign bit, JavaScript's store does not; no probe can tell them apart). Tested against
 * the source's gather in test/features/probe-sources.test.ts.
 *
 * A half-width store (`--feature-dtype float16|bfloat16`) hands over its 16-bit codes instead: u's
 * then v's are copied to the start of the row and widened there to float32 (decodeFloat16,
 * decodeBfloat16), eight at a time from the highest down, so that each float32 lands only on codes
 * already read; the few above the last multiple of eight are the caller's (features/dtype.ts's
 * table). bfloat16 is its code shifted up 16 bits; binary16's exponent and mantissa, shifted up 13,
 * are a float32 2^−112 times too small, which one exact multiplication by 2^112 scales (subnormals
 * included), infinities keep an all-ones exponent, and every NaN becomes the table's quiet NaN:
 * all 65,536 codes decode to the table's bits (tested).
 * pair.wat beside this file is the listing.
 */
import { BLOCK, br, brIf, END, f32Load, f32Store, forLoop, get, I32_ADD, I32_SUB, i32c, localIndex, LOOP, op, set, v128Load, v128Splat, v128Store, whileLoop, type KernelModule } from './assemble.js';

//   params  x (the first row's address), nb (rows), rowBytes, dBytes (4·d: where v starts, and
//           every later block d floats on), vecBytes (4·d rounded down to a multiple of 16)
//   i32     k (row), j (byte in a block), r (row address), d2 (2·dBytes), d3 (3·dBytes)
//   f32     u1, v1 (one value of each vector, in the tail)
//   v128    u4, v4 (four values of each), h (four 16-bit codes widened), e (their bits shifted up)
// The decoders name the first two parameters x (the row) and nb (codes to widen, a multiple of 8).
const LOCALS = ['x', 'nb', 'rowBytes', 'dBytes', 'vecBytes', 'k', 'j', 'r', 'd2', 'd3', 'u1', 'v1', 'u4', 'v4', 'h', 'e'];
const at = localIndex(LOCALS);
const [X, NB, RB, DB, VB, K, J, R, D2, D3] = LOCALS.map(at);

/** The address of byte j of the block that starts `block` bytes into the row (0 when omitted). */
const addr = (block?: number): number[] => [...get(R), ...(block === undefined ? [] : [...get(block), ...I32_ADD]), ...get(J), ...I32_ADD];

/** Four lanes (the SIMD part of a block) or one (its last d mod 4 columns). */
type Lane = 'f32x4' | 'f32';
const LANE = {
  f32x4: { u: at('u4'), v: at('v4'), load: v128Load(0, 0), store: v128Store(0, 0), sub: op('f32x4.sub'), abs: op('f32x4.abs'), mul: op('f32x4.mul') },
  f32: { u: at('u1'), v: at('v1'), load: f32Load(), store: f32Store(), sub: op('f32.sub'), abs: op('f32.abs'), mul: op('f32.mul') },
} as const;
const load = (lane: Lane, block?: number): number[] => [...addr(block), ...LANE[lane].load];
const store = (lane: Lane, block: number | undefined, value: number[]): number[] => [...addr(block), ...value, ...LANE[lane].store];
const both = (lane: Lane): number[] => [...get(LANE[lane].u), ...get(LANE[lane].v)];
const absDiff = (lane: Lane): number[] => [...both(lane), ...LANE[lane].sub, ...LANE[lane].abs];
const product = (lane: Lane): number[] => [...both(lane), ...LANE[lane].mul];

/**
 * Per row: u and v into locals, then the scheme's stores, over the SIMD part and then the tail;
 * `blocks` is how many blocks a row has (the offsets d2 and d3 are set only for four).
 */
function body(blocks: 2 | 4, stores: (lane: Lane) => number[]): number[] {
  const columns = (lane: Lane): number[] => [...load(lane), ...set(LANE[lane].u), ...load(lane, DB), ...set(LANE[lane].v), ...stores(lane)];
  const offsets = blocks === 4 ? [...get(DB), ...get(DB), ...I32_ADD, ...set(D2), ...get(D2), ...get(DB), ...I32_ADD, ...set(D3)] : [];
  return [
    ...offsets,
    ...get(X), ...set(R),
    ...forLoop(K, NB, 1, [
      ...forLoop(J, VB, 16, columns('f32x4'), true),
      ...whileLoop(J, DB, 4, columns('f32'), true),
      ...get(R), ...get(RB), ...I32_ADD, ...set(R),
    ]),
    ...END,
  ];
}

const i32x4 = (v: number): number[] => v128Splat('i32x4', v);
const [H, E, U4] = ['h', 'e', 'u4'].map(at);

/**
 * Codes nb − 8 … 0 of the row at x, widened in place: the eight 16-bit codes at byte 2k become the
 * eight float32 at byte 4k, as `widen` makes each half (four codes in h) into four values.
 */
function decodeBody(widen: number[]): number[] {
  const half = (extend: 'i32x4.extend_low_i16x8_u' | 'i32x4.extend_high_i16x8_u', at: number): number[] => [
    ...get(X), ...get(K), ...get(K), ...I32_ADD, ...I32_ADD, ...(at ? [...i32c(at), ...I32_ADD] : []),
    ...get(U4), ...op(extend), ...set(H),
    ...widen,
    ...v128Store(0, 0),
  ];
  return [
    ...get(NB), ...get(NB), ...I32_ADD, ...set(K),
    ...BLOCK, ...LOOP,
    ...get(K), ...i32c(1), ...op('i32.lt_s'), ...brIf(1),
    ...get(K), ...i32c(16), ...I32_SUB, ...set(K),
    ...get(X), ...get(K), ...I32_ADD, ...v128Load(0, 0), ...set(U4),
    ...half('i32x4.extend_low_i16x8_u', 0),
    ...half('i32x4.extend_high_i16x8_u', 16),
    ...br(0),
    ...END, ...END,
    ...END,
  ];
}

// bfloat16: the code is the float32's high half.
const bfloat16 = [...get(H), ...i32c(16), ...op('i32x4.shl')];
// binary16: e = (h & 0x7fff) << 13 scaled by 2^112 (0x77800000 as float32 bits); where the
// exponent is all ones, e with the float32's all-ones exponent; the sign moved up 16 bits; then a
// NaN (h & 0x7fff above 0x7c00) is the table's quiet NaN.
const float16 = [
  ...i32x4(0x7fc00000),
  ...get(H), ...i32x4(0x7fff), ...op('v128.and'), ...i32c(13), ...op('i32x4.shl'), ...set(E),
  ...get(E), ...i32x4(0x7f800000), ...op('v128.or'),
  ...get(E), ...i32x4(0x77800000), ...op('f32x4.mul'),
  ...get(H), ...i32x4(0x7c00), ...op('v128.and'), ...i32x4(0x7c00), ...op('i32x4.eq'),
  ...op('v128.bitselect'),
  ...get(H), ...i32x4(0x8000), ...op('v128.and'), ...i32c(16), ...op('i32x4.shl'), ...op('v128.or'),
  ...get(H), ...i32x4(0x7fff), ...op('v128.and'), ...i32x4(0x7c00), ...op('i32x4.gt_s'),
  ...op('v128.bitselect'),
];

/** The pair module: absdiffProd and nli, both (x, nb, rowBytes, dBytes, vecBytes) → (); decodeFloat16 and decodeBfloat16 (x, nb). */
export const PAIR_KERNELS: KernelModule = {
  params: ['i32', 'i32', 'i32', 'i32', 'i32'],
  locals: [[5, 'i32'], [2, 'f32'], [4, 'v128']],
  functions: [
    { name: 'absdiffProd', body: body(2, (lane) => [...store(lane, undefined, absDiff(lane)), ...store(lane, DB, product(lane))]), localNames: LOCALS },
    { name: 'nli', body: body(4, (lane) => [...store(lane, D2, product(lane)), ...store(lane, D3, absDiff(lane))]), localNames: LOCALS },
    { name: 'decodeFloat16', body: decodeBody(float16), localNames: LOCALS },
    { name: 'decodeBfloat16', body: decodeBody(bfloat16), localNames: LOCALS },
  ],
};
