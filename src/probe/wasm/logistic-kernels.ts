/**
 * The bytecode of the two-class logistic probe's coefficient kernel: for each row k of a
 * minibatch, from its logit difference z (float32, at z + k·stride) and label y (0 or 1),
 *   t = db + z,  p1 = σ(t),  g1 = (p1 − y)·scale,  z ← f32(g1),  out[k] = g1
 * in float64, two rows at a time. It replaces a JavaScript loop whose cost was one Math.exp per row
 * and per probe (more than a third of a 100-d probe's time), and must give the same bits: σ is
 * computed as that loop did (e = e^−|t|; p1 = 1/(1 + e) for t ≥ 0, else e/(1 + e)), and e^x is
 * fdlibm's e_exp.c, the algorithm of V8's Math.exp, operation for operation on the x ≤ 0 it is
 * asked for: argument reduction x = k·ln2 + r (k = −1 on (½ln2, 1½ln2), trunc(x/ln2 − ½) beyond,
 * 0 below), the degree-5 rational approximation of e^r, and the scaling by 2^k (through 2^(k+1000)
 * and 2^−1000 where e^x is subnormal); 1 + x below 2^−28 and 0 below −745.13. The branches become
 * lane selects: a lane computes every candidate and keeps the one fdlibm's branch returns, and
 * the k = 0 branch is the general formula with k = 0 (equal bit for bit; see the test).
 * test/probe/logistic-kernel.test.ts holds it to Math.exp and to the loop on millions of values.
 * logistic.wat beside this file is the listing.
 */
import { END, F64X2_ADD, F64X2_DIV, F64X2_MUL, F64X2_SPLAT, F64X2_SUB, forLoop, get, I32_ADD, I32_MUL, i32c, localIndex, op, set, v128Splat, type KernelModule } from './assemble.js';

const f64Bits = (hi: number, lo: number): number => {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint32(0, hi);
  b.setUint32(4, lo);
  return b.getFloat64(0);
};

// fdlibm's constants, by their bits (e_exp.c).
const LN2_HI = f64Bits(0x3fe62e42, 0xfee00000);
const LN2_LO = f64Bits(0x3dea39ef, 0x35793c76);
const INV_LN2 = f64Bits(0x3ff71547, 0x652b82fe);
const P = [f64Bits(0x3fc55555, 0x5555553e), f64Bits(0xbf66c16c, 0x16bebd93), f64Bits(0x3f11566a, 0xaf25de2c), f64Bits(0xbebbbd41, 0xc5d26bf1), f64Bits(0x3e663769, 0x72bea4d0)];
// Its branch points on the high word of |x|, as the doubles they are equivalent to.
const HALF_LN2 = f64Bits(0x3fd62e43, 0); // hx > 0x3fd62e42
const THREE_HALVES_LN2 = f64Bits(0x3ff0a2b2, 0); // hx < 0x3ff0a2b2
const TINY = f64Bits(0x3e300000, 0); // hx < 0x3e300000
const U_THRESHOLD = f64Bits(0xc0874910, 0xd52d3051);
const TWO_M1000 = f64Bits(0x01700000, 0);

const splat = (v: number): number[] => v128Splat('f64x2', v);
const i64Splat = (v: number): number[] => v128Splat('i64x2', v);
const f = (name: Parameters<typeof op>[0], ...imm: number[]): number[] => op(name, ...imm);
/** `a ? b : c` per lane, with the mask `a` computed by `cond` (all ones or zeros per lane). */
const choose = (ifTrue: number[], ifFalse: number[], cond: number[]): number[] => [...ifTrue, ...ifFalse, ...cond, ...f('v128.bitselect')];

//   params  z (the logits' address), stride (bytes between rows' logits), nb, labels (float64 per
//           row), out (float64 g1 per row, two past nb), consts (float64 db, scale)
//   i32     k, a0, a1 (the two rows' logit addresses)
//   v128    t, x (−|t|), kd (fdlibm's k as float64), c (r, then g1), e (r², c, then e^x), hi, lo
const LOCALS = ['z', 'stride', 'nb', 'labels', 'out', 'consts', 'k', 'a0', 'a1', 't', 'x', 'kd', 'c', 'e', 'hi', 'lo'];
const at = localIndex(LOCALS);
const [Z, STRIDE, NB, LABELS, OUT, CONSTS, K, A0, A1, T, X, KD, C, E, HI, LO] = LOCALS.map(at);

const kd: number[] = [
  // k = 0 below ½ln2; −1 up to 1½ln2; trunc(x·(1/ln2) − ½) beyond (fdlibm adds halF[1] = −½).
  ...choose(
    choose(
      splat(-1),
      [...get(X), ...splat(INV_LN2), ...F64X2_MUL, ...splat(0.5), ...F64X2_SUB, ...f('i32x4.trunc_sat_f64x2_s_zero'), ...f('f64x2.convert_low_i32x4_s')],
      [...get(X), ...f('f64x2.abs'), ...splat(THREE_HALVES_LN2), ...f('f64x2.lt')],
    ),
    splat(0),
    [...get(X), ...f('f64x2.abs'), ...splat(HALF_LN2), ...f('f64x2.ge')],
  ),
  ...set(KD),
];

const expOfX: number[] = [
  ...kd,
  // hi = x − k·ln2_hi, lo = k·ln2_lo, r = hi − lo
  ...get(X), ...get(KD), ...splat(LN2_HI), ...F64X2_MUL, ...F64X2_SUB, ...set(HI),
  ...get(KD), ...splat(LN2_LO), ...F64X2_MUL, ...set(LO),
  ...get(HI), ...get(LO), ...F64X2_SUB, ...set(C), // the local c holds r, the local e r², then c
  // c = r − r²·(P1 + r²·(P2 + r²·(P3 + r²·(P4 + r²·P5))))
  ...get(C),
  ...get(C), ...get(C), ...F64X2_MUL, ...set(E),
  ...get(E),
  ...splat(P[0]!),
  ...get(E), ...splat(P[1]!), ...get(E), ...splat(P[2]!), ...get(E), ...splat(P[3]!), ...get(E), ...splat(P[4]!),
  ...F64X2_MUL, ...F64X2_ADD, ...F64X2_MUL, ...F64X2_ADD, ...F64X2_MUL, ...F64X2_ADD, ...F64X2_MUL, ...F64X2_ADD,
  ...F64X2_MUL, ...F64X2_SUB,
  ...set(E),
  // e^x before scaling: 1 − ((lo − (r·c)/(2 − c)) − hi)
  ...splat(1),
  ...get(LO), ...get(C), ...get(E), ...F64X2_MUL, ...splat(2), ...get(E), ...F64X2_SUB, ...F64X2_DIV, ...F64X2_SUB,
  ...get(HI), ...F64X2_SUB,
  ...F64X2_SUB,
  // · 2^(k + m) · (m ? 2^−1000 : 1), m = 1000 where k < −1021 (the product would be subnormal)
  ...get(KD), ...choose(splat(1000), splat(0), [...get(KD), ...splat(-1021), ...f('f64x2.lt')]), ...F64X2_ADD,
  ...f('i32x4.trunc_sat_f64x2_s_zero'), ...f('i64x2.extend_low_i32x4_s'), ...i64Splat(1023), ...f('i64x2.add'), ...i32c(52), ...f('i64x2.shl'),
  ...F64X2_MUL,
  ...choose(splat(TWO_M1000), splat(1), [...get(KD), ...splat(-1021), ...f('f64x2.lt')]),
  ...F64X2_MUL,
  ...set(E),
  // 1 + x below 2^−28; 0 below the underflow threshold
  ...choose([...splat(1), ...get(X), ...F64X2_ADD], get(E), [...get(X), ...f('f64x2.abs'), ...splat(TINY), ...f('f64x2.lt')]),
  ...set(E),
  ...choose(splat(0), get(E), [...get(X), ...splat(U_THRESHOLD), ...f('f64x2.lt')]),
  ...set(E),
];

const logitOf = (addr: number): number[] => [...get(addr), ...op('f32.load', 0), ...f('f64.promote_f32')];
const storeLane = (addr: number, lane: number): number[] => [...get(addr), ...get(C), ...f('f64x2.extract_lane', lane), ...f('f32.demote_f64'), ...op('f32.store', 0)];
const rowByte = (base: number): number[] => [...get(base), ...get(K), ...i32c(8), ...I32_MUL, ...I32_ADD];

const pairBody: number[] = [
  // a0 = z + k·stride; a1 = the next row's, or a0 again for an odd last row
  ...get(Z), ...get(K), ...get(STRIDE), ...I32_MUL, ...I32_ADD, ...set(A0),
  ...get(A0), ...get(STRIDE), ...I32_ADD, ...get(A0), ...get(K), ...i32c(1), ...I32_ADD, ...get(NB), ...f('i32.lt_s'), ...f('select'), ...set(A1),
  // t = db + z
  ...get(CONSTS), ...op('f64.load', 0), ...F64X2_SPLAT,
  ...logitOf(A0), ...F64X2_SPLAT, ...logitOf(A1), ...f('f64x2.replace_lane', 1),
  ...F64X2_ADD, ...set(T),
  ...get(T), ...f('f64x2.abs'), ...f('f64x2.neg'), ...set(X),
  ...expOfX,
  // p1 = (t ≥ 0 ? 1 : e) / (1 + e); g1 = (p1 − y)·scale
  ...choose(splat(1), get(E), [...get(T), ...splat(0), ...f('f64x2.ge')]),
  ...splat(1), ...get(E), ...F64X2_ADD, ...F64X2_DIV,
  ...rowByte(LABELS), ...op('v128.load', 0, 0), ...F64X2_SUB,
  ...get(CONSTS), ...op('f64.load', 8), ...F64X2_SPLAT, ...F64X2_MUL,
  ...set(C),
  ...rowByte(OUT), ...get(C), ...op('v128.store', 0, 0),
  // Lane 1 first: for an odd last row both lanes are that row, and lane 0 is its value.
  ...storeLane(A1, 1),
  ...storeLane(A0, 0),
];

const body: number[] = [...forLoop(K, NB, 2, pairBody), ...END];

// e^x in place for the float64 x[0..nb) (nb even, every x ≤ 0): the exponential alone, so that a
// test can hold it to Math.exp bit for bit.
const expBody: number[] = [
  ...forLoop(K, NB, 2, [
    ...rowByte(Z), ...op('v128.load', 0, 0), ...set(X),
    ...expOfX,
    ...rowByte(Z), ...get(E), ...op('v128.store', 0, 0),
  ]),
  ...END,
];

/** The logistic module: `binaryCoefficients(z, stride, nb, labels, out, consts)` and `expNonPositive(x, _, n)`. */
export const LOGISTIC_KERNELS: KernelModule = {
  params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  locals: [[3, 'i32'], [7, 'v128']],
  functions: [
    { name: 'binaryCoefficients', body, localNames: LOCALS },
    { name: 'expNonPositive', body: expBody, localNames: LOCALS.map((n) => (n === 'z' ? 'x' : n)) },
  ],
};
