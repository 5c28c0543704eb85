/**
 * The bytecode of the MLP probe's activation kernel: the logistic sigmoid σ(x) = 1 / (1 + e^−x)
 * of float32 values in place, four lanes at a time. WebAssembly has no exp, and Math.exp cost
 * more than all of an MLP step's float32 products together (one call per hidden unit and row), so
 * e^−x is computed as Cephes' expf does: t = −x clamped to [−87.3, 88.3] (so 2^n stays a normal
 * float32: σ saturates at 1 above 87.3 and at 4.5e−39 below −88.3), n = round(t·log2 e), r = t − n·ln 2 in two
 * parts, e^r by its degree-7 polynomial, scaled by 2^n built in the exponent bits. The result is
 * within 2 float32 ulps of the correctly rounded σ on [−87, 87] (PyTorch's float32 sigmoid is no closer),
 * tested against the float64 one in test/probe/wasm-kernels.test.ts. A NaN stays NaN.
 * sigmoid.wat beside this file is the listing.
 */
import {
  END,
  forLoop,
  get,
  I32_ADD,
  i32c,
  localIndex,
  op,
  set,
  v128Load,
  v128Splat,
  v128Store,
  type KernelModule,
} from './assemble.js';

/** A float32 constant in all four lanes. */
const splat = (v: number): number[] => v128Splat('f32x4', v);
const i32Splat = (v: number): number[] => v128Splat('i32x4', v);

// Cephes expf's constants.
const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

//   params  x (the values' address), nBytes (a multiple of 16)
//   i32     j (byte offset)
//   v128    t (−x, then r), n (round(t·log2 e)), e (the polynomial, then e^−x)
const LOCALS = ['x', 'nBytes', 'j', 't', 'n', 'e'];
const at = localIndex(LOCALS);
const [X, NBYTES, J, T, N, E] = LOCALS.map(at);

const f = (name: Parameters<typeof op>[0]): number[] => op(name);

/**
 * The MLP module's way to the same σ, for every input but NaN's payload bit for bit: `constant`
 * pushes a constant's four lanes (a local set once per call: V8 builds each v128.const afresh in
 * the loop), the clamp is pmin/pmax (one instruction each on x64, where min/max also order NaNs
 * and signed zeros: the bounds are neither, and pmin(t, c) and pmax(t, c) return a NaN t), and 2^n
 * comes from the bits of n + (1.5·2^23 + 127), whose low bits are n + 127 since n is an integer
 * in [−126, 128] (the truncation it replaces checks for NaN and overflow).
 */
export interface FastSigmoid {
  readonly constant: (v: number) => number[];
}

/** The constants a FastSigmoid's `constant` is asked for, as float32 lane values. */
export const SIGMOID_CONSTANTS: readonly number[] = [88.3, -87.3, LOG2E, LN2_HI, LN2_LO, ...P, 1, 12582912 + 127];

/**
 * σ of the four float32 lanes `load` pushes, in two parts around the caller's own stack work
 * (the sigmoid kernel pushes its store address between them): `prepare` leaves t = r, n and the
 * polynomial e in the three v128 locals given, `result` then pushes σ. Shared with the MLP
 * module (mlp-kernels.ts), which feeds it pre-activations it has just computed, the fast way.
 */
export function sigmoidParts(load: number[], t: number, n: number, e: number, fast?: FastSigmoid): { prepare: number[]; result: number[] } {
  const c = fast ? fast.constant : splat;
  const prepare = [
    // t = clamp(−x)
    ...load, ...f('f32x4.neg'),
    ...c(88.3), ...f(fast ? 'f32x4.pmin' : 'f32x4.min'), ...c(-87.3), ...f(fast ? 'f32x4.pmax' : 'f32x4.max'), ...set(t),
    // n = nearest(t·log2 e); r = t − n·LN2_HI − n·LN2_LO
    ...get(t), ...c(LOG2E), ...f('f32x4.mul'), ...f('f32x4.nearest'), ...set(n),
    ...get(t), ...get(n), ...c(LN2_HI), ...f('f32x4.mul'), ...f('f32x4.sub'),
    ...get(n), ...c(LN2_LO), ...f('f32x4.mul'), ...f('f32x4.sub'), ...set(t),
    // e = ((((P0·r + P1)·r + P2)·r + P3)·r + P4)·r + P5
    ...c(P[0]!),
    ...P.slice(1).flatMap((p) => [...get(t), ...f('f32x4.mul'), ...c(p), ...f('f32x4.add')]),
    // e = e·r² + r + 1
    ...get(t), ...get(t), ...f('f32x4.mul'), ...f('f32x4.mul'), ...get(t), ...f('f32x4.add'), ...c(1), ...f('f32x4.add'), ...set(e),
  ];
  // 2^n = (n + 127) << 23 as float32 bits
  const exp2n = fast
    ? [...get(n), ...c(12582912 + 127), ...f('f32x4.add'), ...i32c(23), ...f('i32x4.shl')]
    : [...get(n), ...f('i32x4.trunc_sat_f32x4_s'), ...i32Splat(127), ...f('i32x4.add'), ...i32c(23), ...f('i32x4.shl')];
  const result = [
    // 1 / (1 + e·2^n)
    ...c(1),
    ...c(1),
    ...get(e),
    ...exp2n,
    ...f('f32x4.mul'), ...f('f32x4.add'), ...f('f32x4.div'),
  ];
  return { prepare, result };
}

const sigmoidOfX = sigmoidParts([...get(X), ...get(J), ...I32_ADD, ...v128Load(0, 0)], T, N, E);

const body: number[] = [
  ...forLoop(J, NBYTES, 16, [
    ...sigmoidOfX.prepare,
    // x = σ
    ...get(X), ...get(J), ...I32_ADD,
    ...sigmoidOfX.result,
    ...v128Store(0, 0),
  ], true),
  ...END,
];

/** The activation module: `sigmoid(x, nBytes)` replaces each float32 of x[0..nBytes) by its σ. */
export const SIGMOID_KERNELS: KernelModule = {
  params: ['i32', 'i32'],
  locals: [[1, 'i32'], [3, 'v128']],
  functions: [{ name: 'sigmoid', body, localNames: LOCALS }],
};
