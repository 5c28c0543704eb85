/**
 * The bytecode of the MLP probe's kernels around its hidden layer (runtime: linear.ts; listing:
 * mlp.wat), in float32 as PyTorch computes them: the first layer's products (hiddenForward and
 * hiddenBackward, below: the linear kernels' products blocked for many output rows) and the rest
 * of a step, all of it O(rows × hidden × classes), which in float64 JS had cost as much as the
 * first layer's O(rows × hidden × inputs) products:
 *   activate      h[k, u] = σ((z[k, u] + b1[u]) · m[k, u])        (bias, dropout, sigmoid)
 *   logits        out[k, c] = Σ_u W2[c, u] · h[k, u]               (second layer, without b2)
 *   headBackward  given gc[k, c] = d loss / d logit: gW2[c, u] += Σ_k gc[k, c]·h[k, u],
 *                 gu[k, u] = (Σ_c gc[k, c]·W2[c, u])·h·(1 − h)·m, gb1[u] += Σ_k gu[k, u],
 *                 and h's rows become gu (the coefficients of the linear backward kernel).
 * The hidden rows are `hBytes` long, H units padded to a multiple of four (one v128 per four
 * units); pad units must carry zero weights in W2 (and b1 and the first layer's rows), so they
 * add nothing to the logits and get a zero gradient. m is the dropout multipliers (all ones
 * without dropout: a multiplication by 1 is exact). The softmax over the C logits of a row stays
 * in JS, between logits and headBackward.
 */
import {
  END,
  f32Load,
  f32Store,
  f32x4Lane,
  F32_ADD,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_SPLAT,
  forLoop,
  whileLoop,
  get,
  I32_ADD,
  I32_MUL,
  i32c,
  localIndex,
  op,
  set,
  v128Load,
  v128Splat,
  v128Store,
  v128Zero,
  type KernelModule,
} from './assemble.js';
import { SIGMOID_CONSTANTS, sigmoidParts } from './sigmoid-kernels.js';

// Parameters, by position (each function names the ones it uses):
//   h (hidden rows), nb (rows), hBytes (padded row length in bytes, a multiple of 16),
//   m (dropout multipliers, laid out as h), w (b1 for activate, else W2 [C × hBytes]),
//   C (classes), coef (logits out / their gradient in, [nb × C]), gw2 (W2's gradient [C × hBytes],
//   followed by b1's [hBytes])
// Locals:
//   i32   k (row), u (byte in a row), c (class), ro (row's byte offset), cp (coef address),
//         wo (byte offset in W2 / gW2), gb (b1's gradient address)
//   v128  v (a value: pre-activation, then h), t, n, e (the sigmoid's), acc (a dot product, dh,
//         then gu), g (a class's gradient in all lanes)
//   i32   xr0..xr3 (a group's feature rows' addresses), end (nb − 3)
//   v128  w0, w1 (two units' weights), a00..a13 (unit i's accumulator of row r of a group),
//         s0..s12 (the sigmoid's constants, SIGMOID_CONSTANTS in order)
const R = 4;
const perRow = <T>(f: (r: number) => T[]): T[] => Array.from({ length: R }, (_, r) => f(r)).flat();
const SLOTS = [
  'h', 'nb', 'hBytes', 'm', 'w', 'C', 'coef', 'gw2', 'k', 'u', 'c', 'ro', 'cp', 'wo', 'gb',
  ...perRow((r) => [`xr${r}`]), 'end',
  'v', 't', 'n', 'e', 'acc', 'g', 'w0', 'w1', ...perRow((r) => [`a0${r}`, `a1${r}`]),
  ...SIGMOID_CONSTANTS.map((_, i) => `s${i}`),
];
const at = localIndex(SLOTS);
const [H, NB, HB, M, W, C, COEF, GW2, K, U, CI, RO, CP, WO, GB, END_K, V, T, N, E, ACC, G, W0, W1] = [
  'h', 'nb', 'hBytes', 'm', 'w', 'C', 'coef', 'gw2', 'k', 'u', 'c', 'ro', 'cp', 'wo', 'gb', 'end', 'v', 't', 'n', 'e', 'acc', 'g', 'w0', 'w1',
].map(at);
const XR = (r: number): number => at(`xr${r}`);
const A = (i: number, r: number): number => at(`a${i}${r}`);
const LOCAL_TYPES: KernelModule['locals'] = [[7 + R + 1, 'i32'], [8 + 2 * R + SIGMOID_CONSTANTS.length, 'v128']];
const S = (i: number): number => at(`s${i}`);
/** The listing's names: a function's unused parameters print as their index. */
const names = (rename: Record<string, string>, unused: readonly string[] = []): string[] =>
  SLOTS.map((s) => (unused.includes(s) ? '' : (rename[s] ?? s)));
/** hiddenForward's own locals, unused by the head's functions. */
const BLOCKED = [...perRow((r) => [`xr${r}`]), 'end', 'w0', 'w1', ...perRow((r) => [`a0${r}`, `a1${r}`])];
/** activate's own locals. */
const CONSTANTS = SIGMOID_CONSTANTS.map((_, i) => `s${i}`);

const F32X4_SUB = op('f32x4.sub');
/** A float32 constant in all four lanes. */
const splat = (x: number): number[] => v128Splat('f32x4', x);
/** base + off as an address. */
const addr = (base: number, off: number): number[] => [...get(base), ...get(off), ...I32_ADD];

// ro = k·hBytes
const rowOffset: number[] = [...get(K), ...get(HB), ...I32_MUL, ...set(RO)];

const sigmoidOfV = sigmoidParts(get(V), T, N, E, {
  constant: (v) => {
    const i = SIGMOID_CONSTANTS.indexOf(v);
    if (i < 0) throw new Error(`mlp kernels: no local for the sigmoid constant ${v}`);
    return get(S(i));
  },
});

const activateBody: number[] = [
  ...SIGMOID_CONSTANTS.flatMap((v, i) => [...splat(v), ...set(S(i))]),
  ...forLoop(K, NB, 1, [
    ...rowOffset,
    ...forLoop(U, HB, 16, [
      // v = (z + b1)·m
      ...get(H), ...get(RO), ...I32_ADD, ...get(U), ...I32_ADD, ...v128Load(),
      ...get(W), ...get(U), ...I32_ADD, ...v128Load(), ...F32X4_ADD,
      ...get(M), ...get(RO), ...I32_ADD, ...get(U), ...I32_ADD, ...v128Load(), ...F32X4_MUL,
      ...set(V),
      ...sigmoidOfV.prepare,
      ...get(H), ...get(RO), ...I32_ADD, ...get(U), ...I32_ADD,
      ...sigmoidOfV.result,
      ...v128Store(),
    ], true),
  ]),
  ...END,
];

const hsum = (acc: number): number[] => [
  ...get(acc), ...f32x4Lane(0), ...get(acc), ...f32x4Lane(1), ...F32_ADD, ...get(acc), ...f32x4Lane(2), ...F32_ADD, ...get(acc), ...f32x4Lane(3), ...F32_ADD,
];

// ro is the row's address here; wo walks W2's rows.
const logitsBody: number[] = [
  ...get(COEF), ...set(CP),
  ...forLoop(K, NB, 1, [
    ...get(H), ...get(K), ...get(HB), ...I32_MUL, ...I32_ADD, ...set(RO),
    ...get(W), ...set(WO),
    ...forLoop(CI, C, 1, [
      ...v128Zero(), ...set(ACC),
      ...forLoop(U, HB, 16, [
        ...get(ACC), ...addr(WO, U), ...v128Load(), ...addr(RO, U), ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC),
      ], true),
      ...get(CP), ...hsum(ACC), ...f32Store(),
      ...get(CP), ...i32c(4), ...I32_ADD, ...set(CP),
      ...get(WO), ...get(HB), ...I32_ADD, ...set(WO),
    ]),
  ]),
  ...END,
];

const headBackwardBody: number[] = [
  ...get(GW2), ...get(C), ...get(HB), ...I32_MUL, ...I32_ADD, ...set(GB),
  ...forLoop(K, NB, 1, [
    ...rowOffset,
    ...forLoop(U, HB, 16, [
      ...get(H), ...get(RO), ...I32_ADD, ...get(U), ...I32_ADD, ...v128Load(), ...set(V),
      ...v128Zero(), ...set(ACC),
      // cp = coef + k·C·4; wo = u (W2's and gW2's column u of row 0)
      ...get(COEF), ...get(K), ...get(C), ...I32_MUL, ...i32c(4), ...I32_MUL, ...I32_ADD, ...set(CP),
      ...get(U), ...set(WO),
      ...forLoop(CI, C, 1, [
        ...get(CP), ...f32Load(), ...F32X4_SPLAT, ...set(G),
        // gW2[c, u..] += g·h
        ...addr(GW2, WO), ...addr(GW2, WO), ...v128Load(), ...get(G), ...get(V), ...F32X4_MUL, ...F32X4_ADD, ...v128Store(),
        // dh += g·W2[c, u..]
        ...get(ACC), ...get(G), ...addr(W, WO), ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC),
        ...get(CP), ...i32c(4), ...I32_ADD, ...set(CP),
        ...get(WO), ...get(HB), ...I32_ADD, ...set(WO),
      ]),
      // gu = dh·h·(1 − h)·m
      ...get(ACC), ...get(V), ...F32X4_MUL, ...splat(1), ...get(V), ...F32X4_SUB, ...F32X4_MUL,
      ...get(M), ...get(RO), ...I32_ADD, ...get(U), ...I32_ADD, ...v128Load(), ...F32X4_MUL, ...set(ACC),
      // gb1[u..] += gu; h[k, u..] = gu
      ...addr(GB, U), ...addr(GB, U), ...v128Load(), ...get(ACC), ...F32X4_ADD, ...v128Store(),
      ...get(H), ...get(RO), ...I32_ADD, ...get(U), ...I32_ADD, ...get(ACC), ...v128Store(),
    ], true),
  ]),
  ...END,
];

// The first layer's products for the hidden units, z[k, u] = W1[u]·x[rows[k]], as the linear
// forward kernel computes them but blocked for the MLP's many output rows: two units by R rows at
// a time, so each feature load serves two units and each weight load R rows (the linear kernel,
// one unit by R rows, spent as many loads as products). One accumulator per output, lanes
// summed ((0 + 1) + 2) + 3. In the slots: h = z (rows hBytes apart), m = rows, w = W1 (rows
// rowBytes apart), C = rowBytes, coef = x (the features), gw2 = unitBytes: the units computed,
// 4 bytes each, an even count (nhid rounded up to one, so at most two pad units are computed;
// the last two of each row are zeroed first, so a pad unit after them holds 0, never a stale value).
const [Z, ROWS, W1P, RB, XP, UB] = [H, M, W, C, COEF, GW2];
/** The unit-pair loop for rows xr0..xr(n−1) of output row address ro (n ≤ R). */
const unitPairs = (n: number): number[] => {
  const rs = Array.from({ length: n }, (_, r) => r);
  return [
    ...rs.flatMap((r) => [
      ...get(RO), ...get(HB), ...i32c(r + 1), ...I32_MUL, ...I32_ADD, ...i32c(8), ...op('i32.sub'), ...set(CP),
      ...get(CP), ...i32c(0), ...op('i32.store'), ...get(CP), ...i32c(0), ...op('i32.store', 4),
    ]),
    ...get(W1P), ...set(WO),
    ...forLoop(U, UB, 8, [
      ...rs.flatMap((r) => [...v128Zero(), ...set(A(0, r)), ...v128Zero(), ...set(A(1, r))]),
      ...forLoop(CI, RB, 16, [
        ...addr(WO, CI), ...v128Load(), ...set(W0),
        ...get(WO), ...get(RB), ...I32_ADD, ...get(CI), ...I32_ADD, ...v128Load(), ...set(W1),
        ...rs.flatMap((r) => [
          ...addr(XR(r), CI), ...v128Load(), ...set(V),
          ...get(A(0, r)), ...get(W0), ...get(V), ...F32X4_MUL, ...F32X4_ADD, ...set(A(0, r)),
          ...get(A(1, r)), ...get(W1), ...get(V), ...F32X4_MUL, ...F32X4_ADD, ...set(A(1, r)),
        ]),
      ], true),
      ...rs.flatMap((r) => [
        ...get(RO), ...get(HB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...get(U), ...I32_ADD, ...hsum(A(0, r)), ...f32Store(),
        ...get(RO), ...get(HB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...get(U), ...I32_ADD, ...hsum(A(1, r)), ...f32Store(4),
      ]),
      ...get(WO), ...get(RB), ...get(RB), ...I32_ADD, ...I32_ADD, ...set(WO),
    ], true),
  ];
};
/** xr(r) = x + rows[k + r]·rowBytes; ro = z + k·hBytes. */
const rowAddresses = (n: number): number[] => [
  ...Array.from({ length: n }, (_, r) => [
    ...get(XP), ...get(ROWS), ...get(K), ...i32c(r), ...I32_ADD, ...i32c(2), ...op('i32.shl'), ...I32_ADD, ...op('i32.load'), ...get(RB), ...I32_MUL, ...I32_ADD, ...set(XR(r)),
  ]).flat(),
  ...get(Z), ...get(K), ...get(HB), ...I32_MUL, ...I32_ADD, ...set(RO),
];
/** `while (k < limit) { body; k += step }` from the current k. */
const whileK = (limit: number, step: number, body: number[]): number[] => whileLoop(K, limit, step, body);
/** The rows in groups of R, then one at a time, each group through `pairs` (for n rows). */
const rowGroups = (pairs: (n: number) => number[]): number[] => [
  ...get(NB), ...i32c(R - 1), ...op('i32.sub'), ...set(END_K),
  ...i32c(0), ...set(K),
  ...whileK(END_K, R, [...rowAddresses(R), ...pairs(R)]),
  ...whileK(NB, 1, [...rowAddresses(1), ...pairs(1)]),
  ...END,
];
const hiddenForwardBody: number[] = rowGroups(unitPairs);

// The first layer's weight gradient, G[u] += Σ_k gu[k, u]·x[rows[k]], blocked as hiddenForward:
// two units' gradient rows by R feature rows, each feature load serving both units. Each G
// element adds the rows' products in row order, one rounding per product and per sum, as the
// linear backward kernel does. In the slots: h = the coefficients gu (rows hBytes apart),
// m = rows, w = G (rows rowBytes apart), C = rowBytes, coef = x, gw2 = unitBytes (as
// hiddenForward's; G's rows past it are left as they are).
const GP = W;
const unitPairsBackward = (n: number): number[] => {
  const rs = Array.from({ length: n }, (_, r) => r);
  const coefAt = (r: number, off: number): number[] => [
    ...get(RO), ...get(HB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...get(U), ...I32_ADD, ...f32Load(off), ...F32X4_SPLAT,
  ];
  return [
    ...get(GP), ...set(WO),
    ...forLoop(U, UB, 8, [
      ...rs.flatMap((r) => [...coefAt(r, 0), ...set(A(0, r)), ...coefAt(r, 4), ...set(A(1, r))]),
      // Two vectors of each row per iteration (rows are padded to 8 floats), the second at a
      // constant offset from the first: half the loop's overhead per product, and each element
      // summed in the same order.
      ...forLoop(CI, RB, 32, [0, 16].flatMap((off) => [
        ...addr(WO, CI), ...v128Load(off), ...set(W0),
        ...get(WO), ...get(RB), ...I32_ADD, ...get(CI), ...I32_ADD, ...v128Load(off), ...set(W1),
        ...rs.flatMap((r) => [
          ...addr(XR(r), CI), ...v128Load(off), ...set(V),
          ...get(W0), ...get(A(0, r)), ...get(V), ...F32X4_MUL, ...F32X4_ADD, ...set(W0),
          ...get(W1), ...get(A(1, r)), ...get(V), ...F32X4_MUL, ...F32X4_ADD, ...set(W1),
        ]),
        ...addr(WO, CI), ...get(W0), ...v128Store(off),
        ...get(WO), ...get(RB), ...I32_ADD, ...get(CI), ...I32_ADD, ...get(W1), ...v128Store(off),
      ]), true),
      ...get(WO), ...get(RB), ...get(RB), ...I32_ADD, ...I32_ADD, ...set(WO),
    ], true),
  ];
};
const hiddenBackwardBody: number[] = rowGroups(unitPairsBackward);

/** The MLP module: activate, logits, headBackward, hiddenForward and hiddenBackward, all of signature (i32 × 8) → (). */
export const MLP_KERNELS: KernelModule = {
  params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  locals: LOCAL_TYPES,
  functions: [
    { name: 'activate', body: activateBody, localNames: names({ w: 'b1' }, ['C', 'coef', 'gw2', 'c', 'cp', 'wo', 'gb', 'acc', 'g', ...BLOCKED]) },
    { name: 'logits', body: logitsBody, localNames: names({ w: 'w2', coef: 'out', ro: 'hp' }, ['m', 'gw2', 'gb', 'v', 't', 'n', 'e', 'g', ...BLOCKED, ...CONSTANTS]) },
    { name: 'headBackward', body: headBackwardBody, localNames: names({ w: 'w2' }, ['t', 'n', 'e', ...BLOCKED, ...CONSTANTS]) },
    {
      name: 'hiddenForward',
      body: hiddenForwardBody,
      localNames: names({ h: 'z', m: 'rows', w: 'w1', C: 'rowBytes', coef: 'x', gw2: 'unitBytes', c: 'j', ro: 'zp', cp: 'pad' }, ['gb', 't', 'n', 'e', 'acc', 'g', ...CONSTANTS]),
    },
    {
      name: 'hiddenBackward',
      body: hiddenBackwardBody,
      localNames: names(
        { h: 'gu', m: 'rows', w: 'g', C: 'rowBytes', coef: 'x', gw2: 'unitBytes', c: 'j', ro: 'gp', wo: 'go', w0: 'g0', w1: 'g1' },
        ['cp', 'gb', 't', 'n', 'e', 'acc', 'g', ...CONSTANTS],
      ),
    },
  ],
};
