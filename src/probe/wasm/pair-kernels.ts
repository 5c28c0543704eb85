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
 * sign bit either way. Tested against the source's gather in test/probe/wasm-kernels.test.ts.
 * pair.wat beside this file is the listing.
 */
import { END, f32Load, f32Store, forLoop, get, I32_ADD, localIndex, op, set, v128Load, v128Store, whileLoop, type KernelModule } from './assemble.js';

//   params  x (the first row's address), nb (rows), rowBytes, dBytes (4·d: where v starts, and
//           every later block d floats on), vecBytes (4·d rounded down to a multiple of 16)
//   i32     k (row), j (byte in a block), r (row address), d2 (2·dBytes), d3 (3·dBytes)
//   f32     u1, v1 (one value of each vector, in the tail)
//   v128    u4, v4 (four values of each)
const LOCALS = ['x', 'nb', 'rowBytes', 'dBytes', 'vecBytes', 'k', 'j', 'r', 'd2', 'd3', 'u1', 'v1', 'u4', 'v4'];
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

/** Per row: u and v into locals, then the scheme's stores, over the SIMD part and then the tail. */
function body(stores: (lane: Lane) => number[]): number[] {
  const columns = (lane: Lane): number[] => [...load(lane), ...set(LANE[lane].u), ...load(lane, DB), ...set(LANE[lane].v), ...stores(lane)];
  return [
    ...get(DB), ...get(DB), ...I32_ADD, ...set(D2),
    ...get(D2), ...get(DB), ...I32_ADD, ...set(D3),
    ...get(X), ...set(R),
    ...forLoop(K, NB, 1, [
      ...forLoop(J, VB, 16, columns('f32x4'), true),
      ...whileLoop(J, DB, 4, columns('f32'), true),
      ...get(R), ...get(RB), ...I32_ADD, ...set(R),
    ]),
    ...END,
  ];
}

/** The pair module: absdiffProd and nli, both (x, nb, rowBytes, dBytes, vecBytes) → (). */
export const PAIR_KERNELS: KernelModule = {
  params: ['i32', 'i32', 'i32', 'i32', 'i32'],
  locals: [[5, 'i32'], [2, 'f32'], [2, 'v128']],
  functions: [
    { name: 'absdiffProd', body: body((lane) => [...store(lane, undefined, absDiff(lane)), ...store(lane, DB, product(lane))]), localNames: LOCALS },
    { name: 'nli', body: body((lane) => [...store(lane, D2, product(lane)), ...store(lane, D3, absDiff(lane))]), localNames: LOCALS },
  ],
};
