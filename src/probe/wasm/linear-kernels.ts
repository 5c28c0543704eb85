/**
 * The bytecode of the probes' linear-layer kernels (assembled by linear.ts's runtime, listed in
 * linear.wat): the two products that dominate probe training,
 *   forward  Z[k, c]  = Σ_j W[c, j] · X[rows[k], j]          (logits of a minibatch)
 *   backward G[c, j] += Σ_k D[k, c] · X[rows[k], j]          (weight gradient of a minibatch)
 * in float32 (as PyTorch computes them), four lanes and two accumulators wide. Scalar JS reaches
 * well under 1 GMAC/s on the 2-core target; these kernels are several times faster. Rows go
 * through in groups (four in backward, two in forward, four then two in forwardLead: see R, FR and
 * forwardLead below): one row at a time, a 4096-d forward was bound by the latency of its
 * accumulator chain and of a single memory stream, and the backward by the load/store of G per
 * row; grouping halved both without changing a single rounding. The backward also takes its
 * gradient rows two at a time, so each row load serves two classes. Rows are
 * zero-padded to a multiple of 8 columns (pad columns add nothing to dot products and their
 * gradients are ignored).
 *
 * The module is assembled from opcodes (no toolchain, no binary blob in the repo); linear.wat is
 * its listing, disassembled from the bytes and checked by a test.
 */
import {
  END,
  F32_ADD,
  f32Load,
  op,
  f32Store,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_SPLAT,
  f32x4Lane,
  forLoop,
  whileLoop,
  get,
  I32_ADD,
  I32_MUL,
  I32_SHL,
  I32_SUB,
  i32c,
  i32Load,
  i32Store,
  localIndex,
  set,
  v128Load as v128LoadAt,
  v128Store as v128StoreAt,
  v128Zero,
  type KernelModule,
} from './assemble.js';

// The vector accesses carry a byte alignment hint (align=1 in the listing), as they always have;
// a hint does not change what a load or store does.
const v128Load = (offset = 0): number[] => v128LoadAt(offset, 0);
const v128Store = (offset = 0): number[] => v128StoreAt(offset, 0);

// Rows per group in the grouped loops. A group's R dot products are independent dependency
// chains that share each weight load, and R rows stream from memory at once; every output is
// still summed in exactly the order of the one-row loop (per row in forward, over k in backward),
// so results are bit-identical to it.
const R = 4;
const perRow = (f: (r: number) => string[]): string[] => Array.from({ length: R }, (_, r) => f(r)).flat();

// Parameters and locals, by index; the names are the listing's. The functions share the
// layout (forward's names here; backward and touch rename some slots below).
//   params  x, rows, nb, dp (padded row length), w, C (classes), z
//   i32     k (row), c (class), j (byte in row), xo (row address), wo (weight row address),
//           rowBytes, zp (output address)
//   v128    a, b (the two accumulators of the one-row loop)
//   i32     cBytes (C·4), groupEnd (nb − R + 1), xr0.. (row addresses of a group)
//   v128    wa, wb (weights shared by a group), a0, b0, a1, b1, .. (a group's accumulators)
//   i32     cEnd (C − 1), wo1 (the second of backward's two gradient rows)
const LOCALS = [
  'x', 'rows', 'nb', 'dp', 'w', 'C', 'z',
  'k', 'c', 'j', 'xo', 'wo', 'rowBytes', 'zp',
  'a', 'b',
  'cBytes', 'groupEnd', ...perRow((r) => [`xr${r}`]),
  'wa', 'wb', ...perRow((r) => [`a${r}`, `b${r}`]),
  'cEnd', 'wo1',
];
const LOCAL_TYPES: KernelModule['locals'] = [[7, 'i32'], [2, 'v128'], [2 + R, 'i32'], [2 + 2 * R, 'v128'], [2, 'i32']];
const at = localIndex(LOCALS);
const [X, ROWS, NB, DP, W, C, Z, K, CI, J, XO, WO, RB, ZP, A, B, CB, NBR, WA, WB] = [
  'x', 'rows', 'nb', 'dp', 'w', 'C', 'z', 'k', 'c', 'j', 'xo', 'wo', 'rowBytes', 'zp', 'a', 'b', 'cBytes', 'groupEnd', 'wa', 'wb',
].map(at);
const [CEND, WO1] = ['cEnd', 'wo1'].map(at);
const XR = (r: number): number => at(`xr${r}`);
const AR = (r: number): number => at(`a${r}`);
const BR = (r: number): number => at(`b${r}`);
const renamed = (names: Record<string, string>): string[] => LOCALS.map((n) => names[n] ?? n);

const rowStart: number[] = [
  // xo = x + rows[k] * rowBytes
  ...get(X), ...get(ROWS), ...get(K), ...i32c(2), ...I32_SHL, ...I32_ADD, ...i32Load(), ...get(RB), ...I32_MUL, ...I32_ADD, ...set(XO),
];

const each = (f: (r: number) => number[], rows = R): number[] => Array.from({ length: rows }, (_, r) => f(r)).flat();

// Rows per group in forward. Four rows' eight accumulators, two weight vectors and the eight
// loaded row vectors that V8 schedules at the top of each iteration outnumber the sixteen vector
// registers, and the spills (accumulators and row addresses to the stack, every iteration) made
// forward half as fast as backward; two rows fit.
const FR = 2;
// (forward4, the four-row form, stays for one or two long weight rows, and forwardLead below
// starts with it for more: see WasmLinear.forward.)

const groupStartOf = (rows: number): number[] => each((r) => [
  ...get(X), ...get(ROWS), ...get(K), ...i32c(r), ...I32_ADD, ...i32c(2), ...I32_SHL, ...I32_ADD, ...i32Load(), ...get(RB), ...I32_MUL, ...I32_ADD, ...set(XR(r)),
], rows);
const groupStart = groupStartOf(R);

/** `while (k < limit) { body; k += step }` from the current k. */
const whileK = (limit: number, step: number, body: number[]): number[] => whileLoop(K, limit, step, body);

const hsumStore = (acc: number): number[] => [
  ...get(acc), ...f32x4Lane(0), ...get(acc), ...f32x4Lane(1), ...F32_ADD, ...get(acc), ...f32x4Lane(2), ...F32_ADD, ...get(acc), ...f32x4Lane(3), ...F32_ADD,
  ...f32Store(),
];

const forwardRow: number[] = [
  ...get(Z), ...get(K), ...get(CB), ...I32_MUL, ...I32_ADD, ...set(ZP),
  ...rowStart,
  ...get(W), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...v128Zero(), ...set(A), ...v128Zero(), ...set(B),
    ...forLoop(J, RB, 32, [
      ...get(A), ...get(WO), ...get(J), ...I32_ADD, ...v128Load(), ...get(XO), ...get(J), ...I32_ADD, ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(A),
      ...get(B), ...get(WO), ...get(J), ...I32_ADD, ...v128Load(16), ...get(XO), ...get(J), ...I32_ADD, ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(B),
    ], true),
    ...get(A), ...get(B), ...F32X4_ADD, ...set(A),
    ...get(ZP), ...hsumStore(A),
    ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), ...I32_ADD, ...set(WO),
  ]),
];

// One weight row's (wo's) dot products with a group's rows, two accumulators per row, stored to
// zp + r·cBytes; then zp and wo move to the next class.
const classDots = (rows: number): number[] => [
  ...each((r) => [...v128Zero(), ...set(AR(r)), ...v128Zero(), ...set(BR(r))], rows),
  ...forLoop(J, RB, 32, [
    ...get(WO), ...get(J), ...I32_ADD, ...v128Load(), ...set(WA),
    ...get(WO), ...get(J), ...I32_ADD, ...v128Load(16), ...set(WB),
    ...each((r) => [
      ...get(AR(r)), ...get(WA), ...get(XR(r)), ...get(J), ...I32_ADD, ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(AR(r)),
      ...get(BR(r)), ...get(WB), ...get(XR(r)), ...get(J), ...I32_ADD, ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(BR(r)),
    ], rows),
  ], true),
  ...each((r) => [
    ...get(AR(r)), ...get(BR(r)), ...F32X4_ADD, ...set(AR(r)),
    ...get(ZP), ...get(CB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...hsumStore(AR(r)),
  ], rows),
  ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
  ...get(WO), ...get(RB), ...I32_ADD, ...set(WO),
];

/** zp = z + (k + r0)·cBytes: the output row of the group's row r0. */
const outputRow = (r0: number): number[] => [...get(Z), ...get(K), ...(r0 ? [...i32c(r0), ...I32_ADD] : []), ...get(CB), ...I32_MUL, ...I32_ADD, ...set(ZP)];

const forwardGroupOf = (FR: number): number[] => [
  ...groupStartOf(FR),
  ...outputRow(0),
  ...get(W), ...set(WO),
  ...forLoop(CI, C, 1, classDots(FR)),
];

// forwardLead: class 0 of four rows at once, then the other classes two rows at a time. The
// first weight row meets rows arriving from memory, and four rows in flight hide more of their
// latency than two; the later classes find the rows in cache, where two rows keep every value in
// registers. Every output is summed as in forward, so the two are bit-identical.
const forwardLeadGroup: number[] = [
  ...groupStartOf(R),
  ...outputRow(0),
  ...get(W), ...set(WO),
  ...classDots(R),
  ...[0, 2].flatMap((r0) => [
    ...(r0 === 0 ? [] : [...get(XR(r0)), ...set(XR(0)), ...get(XR(r0 + 1)), ...set(XR(1))]),
    ...outputRow(r0), ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
    ...get(W), ...get(RB), ...I32_ADD, ...set(WO),
    ...i32c(1), ...set(CI),
    ...whileLoop(CI, C, 1, classDots(2)),
  ]),
];

const prologueOf = (rows: number): number[] => [
  ...get(DP), ...i32c(2), ...I32_SHL, ...set(RB),
  ...get(C), ...i32c(2), ...I32_SHL, ...set(CB),
  ...get(NB), ...i32c(rows - 1), ...I32_SUB, ...set(NBR),
  ...i32c(0), ...set(K),
];
const prologue = prologueOf(R);

const forwardBodyOf = (rows: number): number[] => [...prologueOf(rows), ...whileK(NBR, rows, forwardGroupOf(rows)), ...whileK(NB, 1, forwardRow), ...END];
const forwardLeadBody: number[] = [...prologueOf(R), ...whileK(NBR, R, forwardLeadGroup), ...whileK(NB, 1, forwardRow), ...END];

const axpy = (off: number): number[] => [
  ...get(WO), ...get(J), ...I32_ADD,
  ...get(WO), ...get(J), ...I32_ADD, ...v128Load(off),
  ...get(A), ...get(XO), ...get(J), ...I32_ADD, ...v128Load(off), ...F32X4_MUL, ...F32X4_ADD,
  ...v128Store(off),
];

// G[c] row chunk += a[r]·X[rows[k + r]] for r = 0..R-1 in turn: one load and store of G per group.
const axpyGroup = (off: number): number[] => [
  ...get(WO), ...get(J), ...I32_ADD,
  ...get(WO), ...get(J), ...I32_ADD, ...v128Load(off),
  ...each((r) => [...get(AR(r)), ...get(XR(r)), ...get(J), ...I32_ADD, ...v128Load(off), ...F32X4_MUL, ...F32X4_ADD]),
  ...v128Store(off),
];

const backwardRow: number[] = [
  ...get(W), ...get(K), ...get(CB), ...I32_MUL, ...I32_ADD, ...set(ZP),
  ...rowStart,
  ...get(Z), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...get(ZP), ...f32Load(), ...F32X4_SPLAT, ...set(A),
    ...forLoop(J, RB, 32, [...axpy(0), ...axpy(16)], true),
    ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), ...I32_ADD, ...set(WO),
  ]),
];

// Two gradient rows (classes c and c + 1, at wo and wo1) += the group's rows, each row load
// (into a) serving both: G[c] + a[r]·X[r] and G[c + 1] + b[r]·X[r] for r = 0..R-1 in turn.
const axpyPair = (off: number): number[] => [
  ...get(WO), ...get(J), ...I32_ADD, ...v128Load(off), ...set(WA),
  ...get(WO1), ...get(J), ...I32_ADD, ...v128Load(off), ...set(WB),
  ...each((r) => [
    ...get(XR(r)), ...get(J), ...I32_ADD, ...v128Load(off), ...set(A),
    ...get(WA), ...get(AR(r)), ...get(A), ...F32X4_MUL, ...F32X4_ADD, ...set(WA),
    ...get(WB), ...get(BR(r)), ...get(A), ...F32X4_MUL, ...F32X4_ADD, ...set(WB),
  ]),
  ...get(WO), ...get(J), ...I32_ADD, ...get(WA), ...v128Store(off),
  ...get(WO1), ...get(J), ...I32_ADD, ...get(WB), ...v128Store(off),
];

/** Row r's coefficient of class c (`next` 0) or c + 1 (`next` 4, bytes on) in all four lanes; cp points at class c's of row 0. */
const coefSplat = (r: number, next: 0 | 4): number[] => [
  ...get(ZP), ...get(CB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...f32Load(next), ...F32X4_SPLAT,
];

// The classes two at a time, then the last alone when C is odd: each G element still adds the
// rows in order, so the pairs change no rounding (the same bytes as one class at a time).
const backwardGroup: number[] = [
  ...groupStart,
  ...get(W), ...get(K), ...get(CB), ...I32_MUL, ...I32_ADD, ...set(ZP),
  ...get(Z), ...set(WO),
  ...i32c(0), ...set(CI),
  ...whileLoop(CI, CEND, 2, [
    ...each((r) => [...coefSplat(r, 0), ...set(AR(r)), ...coefSplat(r, 4), ...set(BR(r))]),
    ...get(WO), ...get(RB), ...I32_ADD, ...set(WO1),
    ...forLoop(J, RB, 32, [...axpyPair(0), ...axpyPair(16)], true),
    ...get(ZP), ...i32c(8), ...I32_ADD, ...set(ZP),
    ...get(WO1), ...get(RB), ...I32_ADD, ...set(WO),
  ]),
  ...whileLoop(CI, C, 1, [
    ...each((r) => [...coefSplat(r, 0), ...set(AR(r))]),
    ...forLoop(J, RB, 32, [...axpyGroup(0), ...axpyGroup(16)], true),
    ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), ...I32_ADD, ...set(WO),
  ]),
];

const backwardBody: number[] = [...prologue, ...get(C), ...i32c(1), ...I32_SUB, ...set(CEND), ...whileK(NBR, R, backwardGroup), ...whileK(NB, 1, backwardRow), ...END];

// Loads one word of every cache line of the batch's rows, all independent, so that the cache
// misses of a random minibatch overlap instead of stalling the forward loop one row at a time.
const touchBody: number[] = [
  ...get(DP), ...i32c(2), ...I32_SHL, ...set(RB),
  ...i32c(0), ...set(ZP),
  ...forLoop(K, NB, 1, [
    ...rowStart,
    ...forLoop(J, RB, 64, [...get(ZP), ...get(XO), ...get(J), ...I32_ADD, ...i32Load(), ...I32_ADD, ...set(ZP)], true),
  ]),
  ...get(Z), ...get(ZP), ...i32Store(),
  ...END,
];

// The conversions between the probes' float64 parameters and the kernels' float32 rows, over n
// elements two at a time (f64x2 ↔ the low half of an f32x4). Each is the correctly rounded IEEE
// conversion a Float32Array store (or a float32 read) performs, and the difference p1 − p0 is one
// float64 subtraction, as in JavaScript, so they give the bytes the scalar loops gave. In the
// slots: x = src, rows = sub (the float64 sources), nb = nBytes (float64 bytes, a multiple of
// 16), w = out, C = neg; j walks the float64 bytes, wo the float32 side.
const I64_STORE = (offset = 0): number[] => op('i64.store', offset);
const demoteStore = (value: number[]): number[] => [
  ...get(WO), ...value, ...op('f32x4.demote_f64x2_zero'), ...op('i64x2.extract_lane', 0), ...I64_STORE(),
];
const f64Load = (base: number): number[] => [...get(base), ...get(J), ...I32_ADD, ...v128LoadAt(0)];
const halves = (body: number[]): number[] => [
  ...get(W), ...set(WO),
  ...forLoop(J, NB, 16, [...body, ...get(WO), ...i32c(8), ...I32_ADD, ...set(WO)], true),
  ...END,
];
// out[i] = f32(src[i] − sub[i]): the two-class weight row w1 − w0.
const narrowDiffBody = halves(demoteStore([...f64Load(X), ...f64Load(ROWS), ...op('f64x2.sub')]));
// out[i] = f32(src[i]): a weight row.
const narrowBody = halves(demoteStore(f64Load(X)));
// out[i] = f64(src[i]) for a float32 gradient row src (wo walks it; out is float64): a weight
// gradient row. widenPair also writes neg[i] = −f64(src[i]): the two-class gradient of w0.
const widenLoop = (pair: boolean): number[] => [
  ...get(X), ...set(WO),
  ...forLoop(J, NB, 16, [
    ...get(WO), ...op('v128.load64_zero'), ...op('f64x2.promote_low_f32x4'), ...set(A),
    ...get(W), ...get(J), ...I32_ADD, ...get(A), ...v128StoreAt(0),
    ...(pair ? [...get(C), ...get(J), ...I32_ADD, ...get(A), ...op('f64x2.neg'), ...v128StoreAt(0)] : []),
    ...get(WO), ...i32c(8), ...I32_ADD, ...set(WO),
  ], true),
  ...END,
];

/** The kernel module: forward, backward, touch and the conversions, all of signature (i32 × 7) → (). */
export const LINEAR_KERNELS: KernelModule = {
  params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  locals: LOCAL_TYPES,
  functions: [
    { name: 'forward', body: forwardBodyOf(FR), localNames: LOCALS },
    { name: 'forward4', body: forwardBodyOf(R), localNames: LOCALS },
    { name: 'forwardLead', body: forwardLeadBody, localNames: LOCALS },
    // w holds the coefficients, z the gradient; wo walks gradient rows, zp the coefficients.
    { name: 'backward', body: backwardBody, localNames: renamed({ w: 'coef', z: 'g', wo: 'go', zp: 'cp', wo1: 'go1' }) },
    { name: 'touch', body: touchBody, localNames: renamed({ z: 'out', zp: 'sum' }) },
    { name: 'narrowDiff', body: narrowDiffBody, localNames: renamed({ x: 'src', rows: 'sub', nb: 'nBytes', w: 'out' }) },
    { name: 'narrow', body: narrowBody, localNames: renamed({ x: 'src', nb: 'nBytes', w: 'out' }) },
    { name: 'widen', body: widenLoop(false), localNames: renamed({ x: 'src', nb: 'nBytes', w: 'out' }) },
    { name: 'widenPair', body: widenLoop(true), localNames: renamed({ x: 'src', nb: 'nBytes', w: 'out', C: 'neg' }) },
  ],
};

