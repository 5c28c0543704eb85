/**
 * WebAssembly SIMD kernels for the two products that dominate probe training:
 *   forward  Z[k, c]  = Σ_j W[c, j] · X[rows[k], j]          (logits of a minibatch)
 *   backward G[c, j] += Σ_k D[k, c] · X[rows[k], j]          (weight gradient of a minibatch)
 * in float32 (as PyTorch computes them), four lanes and two accumulators wide. Scalar JS reaches
 * well under 1 GMAC/s on the 2-core target; these kernels are several times faster. Rows go
 * through in groups of four (see R below): one row at a time, a 4096-d forward was bound by the
 * latency of its accumulator chain and of a single memory stream, and the backward by the
 * load/store of G per row; grouping halved both without changing a single rounding.
 *
 * The module is assembled here from opcodes (no toolchain, no binary blob in the repo); linear.wat
 * beside this file is its listing, disassembled from the bytes and checked by a test. Each
 * thread owns one instance. A small dense feature matrix is copied into its linear memory once
 * per dataset (`bind`); anything else — pair features, or a matrix over DENSE_BIND_LIMIT — is
 * streamed (`bindSource`): each call's rows are gathered into a block at the start of memory and
 * the kernels read the block. Either way rows are zero-padded to a multiple of 8 columns (pad
 * columns add nothing to dot products and their gradients are ignored), and the kernels see the
 * same float32 values in the same order, so both modes give bit-identical results.
 */
import type { RowSource } from '../../features/source.js';

/**
 * Largest dense matrix copied whole into a kernel's memory (per worker thread). Above it rows are
 * streamed, so a large task costs one copy of its features, never one per worker, and never more
 * than the 4 GiB a WebAssembly memory can address.
 */
export const DENSE_BIND_LIMIT = 512 * 2 ** 20;

import {
  assembleModule,
  BLOCK,
  br,
  brIf,
  END,
  F32_ADD,
  f32Load,
  op,
  f32Store,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_SPLAT,
  f32x4Lane,
  get,
  I32_ADD,
  I32_GE_S,
  I32_GE_U,
  I32_MUL,
  I32_SHL,
  I32_SUB,
  i32c,
  i32Load,
  i32Store,
  localIndex,
  LOOP,
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

/** `for (v = 0; v < limit; v += step) body` as block/loop; `limit` and `v` are locals. */
function forLoop(v: number, limit: number, step: number, body: number[], unsigned = false): number[] {
  return [
    ...i32c(0), ...set(v),
    ...BLOCK, ...LOOP,
    ...get(v), ...get(limit), ...(unsigned ? I32_GE_U : I32_GE_S), ...brIf(1),
    ...body,
    ...get(v), ...i32c(step), ...I32_ADD, ...set(v),
    ...br(0), ...END, ...END,
  ];
}

// Rows per group in the grouped loops. A group's R dot products are independent dependency
// chains that share each weight load, and R rows stream from memory at once; every output is
// still summed in exactly the order of the one-row loop (per row in forward, over k in backward),
// so results are bit-identical to it.
const R = 4;
const perRow = (f: (r: number) => string[]): string[] => Array.from({ length: R }, (_, r) => f(r)).flat();

// Parameters and locals, by index; the names are the listing's. The three functions share the
// layout (forward's names here; backward and touch rename some slots below).
//   params  x, rows, nb, dp (padded row length), w, C (classes), z
//   i32     k (row), c (class), j (byte in row), xo (row address), wo (weight row address),
//           rowBytes, zp (output address)
//   v128    a, b (the two accumulators of the one-row loop)
//   i32     cBytes (C·4), groupEnd (nb − R + 1), xr0.. (row addresses of a group)
//   v128    wa, wb (weights shared by a group), a0, b0, a1, b1, .. (a group's accumulators)
const LOCALS = [
  'x', 'rows', 'nb', 'dp', 'w', 'C', 'z',
  'k', 'c', 'j', 'xo', 'wo', 'rowBytes', 'zp',
  'a', 'b',
  'cBytes', 'groupEnd', ...perRow((r) => [`xr${r}`]),
  'wa', 'wb', ...perRow((r) => [`a${r}`, `b${r}`]),
];
const LOCAL_TYPES: KernelModule['locals'] = [[7, 'i32'], [2, 'v128'], [2 + R, 'i32'], [2 + 2 * R, 'v128']];
const at = localIndex(LOCALS);
const [X, ROWS, NB, DP, W, C, Z, K, CI, J, XO, WO, RB, ZP, A, B, CB, NBR, WA, WB] = [
  'x', 'rows', 'nb', 'dp', 'w', 'C', 'z', 'k', 'c', 'j', 'xo', 'wo', 'rowBytes', 'zp', 'a', 'b', 'cBytes', 'groupEnd', 'wa', 'wb',
].map(at);
const XR = (r: number): number => at(`xr${r}`);
const AR = (r: number): number => at(`a${r}`);
const BR = (r: number): number => at(`b${r}`);
const renamed = (names: Record<string, string>): string[] => LOCALS.map((n) => names[n] ?? n);

const rowStart: number[] = [
  // xo = x + rows[k] * rowBytes
  ...get(X), ...get(ROWS), ...get(K), ...i32c(2), ...I32_SHL, ...I32_ADD, ...i32Load(), ...get(RB), ...I32_MUL, ...I32_ADD, ...set(XO),
];

const each = (f: (r: number) => number[]): number[] => Array.from({ length: R }, (_, r) => f(r)).flat();

const groupStart: number[] = each((r) => [
  ...get(X), ...get(ROWS), ...get(K), ...i32c(r), ...I32_ADD, ...i32c(2), ...I32_SHL, ...I32_ADD, ...i32Load(), ...get(RB), ...I32_MUL, ...I32_ADD, ...set(XR(r)),
]);

/** `while (k < limit) { body; k += step }` from the current k (signed compare). */
const whileK = (limit: number, step: number, body: number[]): number[] => [
  ...BLOCK, ...LOOP,
  ...get(K), ...get(limit), ...I32_GE_S, ...brIf(1),
  ...body,
  ...get(K), ...i32c(step), ...I32_ADD, ...set(K),
  ...br(0), ...END, ...END,
];

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

const forwardGroup: number[] = [
  ...groupStart,
  ...get(Z), ...get(K), ...get(CB), ...I32_MUL, ...I32_ADD, ...set(ZP),
  ...get(W), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...each((r) => [...v128Zero(), ...set(AR(r)), ...v128Zero(), ...set(BR(r))]),
    ...forLoop(J, RB, 32, [
      ...get(WO), ...get(J), ...I32_ADD, ...v128Load(), ...set(WA),
      ...get(WO), ...get(J), ...I32_ADD, ...v128Load(16), ...set(WB),
      ...each((r) => [
        ...get(AR(r)), ...get(WA), ...get(XR(r)), ...get(J), ...I32_ADD, ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(AR(r)),
        ...get(BR(r)), ...get(WB), ...get(XR(r)), ...get(J), ...I32_ADD, ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(BR(r)),
      ]),
    ], true),
    ...each((r) => [
      ...get(AR(r)), ...get(BR(r)), ...F32X4_ADD, ...set(AR(r)),
      ...get(ZP), ...get(CB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...hsumStore(AR(r)),
    ]),
    ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), ...I32_ADD, ...set(WO),
  ]),
];

const prologue: number[] = [
  ...get(DP), ...i32c(2), ...I32_SHL, ...set(RB),
  ...get(C), ...i32c(2), ...I32_SHL, ...set(CB),
  ...get(NB), ...i32c(R - 1), ...I32_SUB, ...set(NBR),
  ...i32c(0), ...set(K),
];

const forwardBody: number[] = [...prologue, ...whileK(NBR, R, forwardGroup), ...whileK(NB, 1, forwardRow), ...END];

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

const backwardGroup: number[] = [
  ...groupStart,
  ...get(W), ...get(K), ...get(CB), ...I32_MUL, ...I32_ADD, ...set(ZP),
  ...get(Z), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...each((r) => [...get(ZP), ...get(CB), ...i32c(r), ...I32_MUL, ...I32_ADD, ...f32Load(), ...F32X4_SPLAT, ...set(AR(r))]),
    ...forLoop(J, RB, 32, [...axpyGroup(0), ...axpyGroup(16)], true),
    ...get(ZP), ...i32c(4), ...I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), ...I32_ADD, ...set(WO),
  ]),
];

const backwardBody: number[] = [...prologue, ...whileK(NBR, R, backwardGroup), ...whileK(NB, 1, backwardRow), ...END];

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
    { name: 'forward', body: forwardBody, localNames: LOCALS },
    // w holds the coefficients, z the gradient; wo walks gradient rows, zp the coefficients.
    { name: 'backward', body: backwardBody, localNames: renamed({ w: 'coef', z: 'g', wo: 'go', zp: 'cp' }) },
    { name: 'touch', body: touchBody, localNames: renamed({ z: 'out', zp: 'sum' }) },
    { name: 'narrowDiff', body: narrowDiffBody, localNames: renamed({ x: 'src', rows: 'sub', nb: 'nBytes', w: 'out' }) },
    { name: 'narrow', body: narrowBody, localNames: renamed({ x: 'src', nb: 'nBytes', w: 'out' }) },
    { name: 'widen', body: widenLoop(false), localNames: renamed({ x: 'src', nb: 'nBytes', w: 'out' }) },
    { name: 'widenPair', body: widenLoop(true), localNames: renamed({ x: 'src', nb: 'nBytes', w: 'out', C: 'neg' }) },
  ],
};

type KernelFn = (x: number, rows: number, nb: number, dp: number, w: number, c: number, z: number) => void;

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(assembleModule(LINEAR_KERNELS));
    } catch {
      compiled = null; // no wasm SIMD: callers fall back to scalar JS
    }
  }
  return compiled;
}

const PAGE = 65536;
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * One thread's kernel instance: a linear memory holding [padded features | scratch].
 * Views (`w`, `g`, `z`, `rows`) are valid until the next `bind`/`reserve`.
 */
export class WasmLinear {
  private readonly memory: WebAssembly.Memory;
  private readonly fwd: KernelFn;
  private readonly bwd: KernelFn;
  private readonly touchFn: KernelFn;
  private readonly narrowDiffFn: KernelFn;
  private readonly narrowFn: KernelFn;
  private readonly widenFn: KernelFn;
  private readonly widenPairFn: KernelFn;
  private boundX: Float32Array | null = null;
  private source: RowSource | null = null;
  private blockRows = 0;
  private cols = 0;
  /** Padded row length (floats), a multiple of 8. */
  dp = 0;
  private scratch = 0;
  private wOff = 0;
  private gOff = 0;
  private zOff = 0;
  private rowsOff = 0;
  private p64Off = 0;
  private g64Off = 0;
  /** Float64 staging of a probe's weights and weight gradient (see loadWeights, storeGrad). */
  private p64 = new Float64Array(0);
  private g64 = new Float64Array(0);
  private lengths = { w: 0, z: 0, rows: 0, weights: 0 };
  w = new Float32Array(0);
  g = new Float32Array(0);
  z = new Float32Array(0);
  rows = new Int32Array(0);

  private constructor(mod: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const inst = new WebAssembly.Instance(mod, { env: { mem: this.memory } });
    this.fwd = inst.exports['forward'] as KernelFn;
    this.bwd = inst.exports['backward'] as KernelFn;
    this.touchFn = inst.exports['touch'] as KernelFn;
    this.narrowDiffFn = inst.exports['narrowDiff'] as KernelFn;
    this.narrowFn = inst.exports['narrow'] as KernelFn;
    this.widenFn = inst.exports['widen'] as KernelFn;
    this.widenPairFn = inst.exports['widenPair'] as KernelFn;
  }

  /** null when the runtime lacks WebAssembly SIMD. */
  static create(): WasmLinear | null {
    const m = module();
    return m ? new WasmLinear(m) : null;
  }

  /** Make `X` ([n × cols], row-major) the feature matrix; copies only if it changed. */
  bind(X: Float32Array, cols: number): void {
    if (this.boundX === X && this.cols === cols) return;
    const n = X.length / cols;
    const dp = align(cols, 8);
    const bytes = n * dp * 4;
    if (bytes + 64 > 2 ** 32 - PAGE) throw new Error('wasm kernels: feature matrix over 4 GiB');
    this.ensure(bytes);
    const mem = new Float32Array(this.memory.buffer, 0, n * dp);
    if (dp === cols) mem.set(X);
    else {
      mem.fill(0);
      for (let i = 0; i < n; i++) mem.set(X.subarray(i * cols, (i + 1) * cols), i * dp);
    }
    this.boundX = X;
    this.source = null;
    this.cols = cols;
    this.dp = dp;
    this.scratch = align(bytes, 64);
    this.wOff = this.gOff = this.zOff = this.rowsOff = this.scratch;
  }

  /**
   * Read features from `src` instead: `stage` gathers up to `maxRows` rows per call into a block
   * at the start of memory (the kernels' memory holds one block, whatever the dataset's size).
   */
  bindSource(src: RowSource, maxRows: number): void {
    const dp = align(src.cols, 8);
    const bytes = maxRows * dp * 4;
    if (bytes + 64 > 2 ** 32 - PAGE) throw new Error('wasm kernels: row block over 4 GiB');
    this.ensure(bytes);
    this.boundX = null;
    this.source = src;
    this.blockRows = maxRows;
    this.cols = src.cols;
    this.dp = dp;
    this.scratch = align(bytes, 64);
    this.wOff = this.gOff = this.zOff = this.rowsOff = this.scratch;
  }

  /** Make `rows[start..start + nb)` the rows of the next forward/backward calls. */
  stage(rows: Int32Array, start: number, nb: number): void {
    const er = this.rows;
    if (this.source) {
      if (nb > this.blockRows) throw new Error(`wasm kernels: ${nb} rows staged, block holds ${this.blockRows}`);
      this.source.gather(rows, start, start + nb, new Float32Array(this.memory.buffer, 0, nb * this.dp), this.dp);
      for (let k = 0; k < nb; k++) er[k] = k;
      return;
    }
    for (let k = 0; k < nb; k++) er[k] = rows[start + k]!;
  }

  /**
   * Scratch for C output rows and up to `maxRows` rows per call, and for `weights` float64
   * weights (and as many gradients) of loadWeights/storeGrad.
   */
  reserve(C: number, maxRows: number, weights = 0): void {
    const wb = align(C * this.dp * 4, 64);
    this.wOff = this.scratch;
    this.gOff = this.wOff + wb;
    this.zOff = this.gOff + wb;
    this.rowsOff = this.zOff + align(maxRows * C * 4, 64);
    this.lengths = { w: C * this.dp, z: maxRows * C, rows: maxRows, weights: 0 };
    this.reserveWeights(weights);
    this.w.fill(0);
  }

  /** Float64 staging for `weights` weights and as many gradients, after the other scratch. */
  private reserveWeights(weights: number): void {
    this.p64Off = align(this.rowsOff + this.lengths.rows * 4, 64);
    this.g64Off = this.p64Off + align(weights * 8, 64);
    this.ensure(this.g64Off + weights * 8);
    this.lengths.weights = weights;
    this.views();
  }

  /** (Re)build the scratch views, after reserve or after memory.grow detached them. */
  private views(): void {
    const buf = this.memory.buffer;
    const L = this.lengths;
    this.w = new Float32Array(buf, this.wOff, L.w);
    this.g = new Float32Array(buf, this.gOff, L.w);
    this.z = new Float32Array(buf, this.zOff, L.z);
    this.rows = new Int32Array(buf, this.rowsOff, L.rows);
    this.p64 = new Float64Array(buf, this.p64Off, L.weights);
    this.g64 = new Float64Array(buf, this.g64Off, L.weights);
  }

  /**
   * The float32 weight rows from float64 parameters `p` (class rows of `d` weights first, as
   * ProbeNet and the relatedness probe lay them out): `nclasses` rows, or for two classes the
   * one row w1 − w0 that the binary kernels use, written from weight row `row` on (probes trained
   * in lockstep stack their rows). Bit-identical to `w[j] = p[d + j] - p[j]` and
   * `w[c·dp + j] = p[c·d + j]` through the Float32Array (see the conversion kernels).
   */
  loadWeights(p: Float64Array, d: number, nclasses: number, binary: boolean, row = 0): void {
    const n = nclasses * d;
    const even = d - (d & 1);
    if (this.lengths.weights < n) this.reserveWeights(n);
    this.p64.set(p.subarray(0, n));
    const w = this.w;
    const dp = this.dp;
    const at = row * dp;
    if (binary) {
      this.narrowDiffFn(this.p64Off + 8 * d, this.p64Off, 8 * even, 0, this.wOff + 4 * at, 0, 0);
      if (even < d) w[at + d - 1] = p[2 * d - 1]! - p[d - 1]!;
      return;
    }
    for (let c = 0; c < nclasses; c++) {
      this.narrowFn(this.p64Off + 8 * c * d, 0, 8 * even, 0, this.wOff + 4 * (at + c * dp), 0, 0);
      if (even < d) w[at + c * dp + d - 1] = p[c * d + d - 1]!;
    }
  }

  /**
   * The float64 weight gradient `grad[0..nclasses·d)` from the float32 gradient rows `g` (from
   * row `row` on): row c as it is, or for two classes (one row G) −G then G. Bit-identical to the
   * scalar copies.
   */
  storeGrad(grad: Float64Array, d: number, nclasses: number, binary: boolean, row = 0): void {
    const even = d - (d & 1);
    if (this.lengths.weights < nclasses * d) this.reserveWeights(nclasses * d);
    const G = this.g;
    const dp = this.dp;
    const at = row * dp;
    if (binary) {
      this.widenPairFn(this.gOff + 4 * at, 0, 8 * even, 0, this.g64Off + 8 * d, this.g64Off, 0);
    } else {
      for (let c = 0; c < nclasses; c++) this.widenFn(this.gOff + 4 * (at + c * dp), 0, 8 * even, 0, this.g64Off + 8 * c * d, 0, 0);
    }
    grad.set(this.g64.subarray(0, nclasses * d));
    if (even === d) return;
    if (binary) {
      grad[2 * d - 1] = G[at + d - 1]!;
      grad[d - 1] = -G[at + d - 1]!;
    } else for (let c = 0; c < nclasses; c++) grad[c * d + d - 1] = G[at + c * dp + d - 1]!;
  }

  /** z[k·C + c] = w[c]·X[rows[k]] for k < nb. */
  forward(nb: number, C: number): void {
    // Only for short rows: long rows stream well by themselves, and touching a batch that does
    // not fit in L2 would just evict it before the backward pass.
    if (nb * this.dp <= 32768) this.touchFn(0, this.rowsOff, nb, this.dp, 0, 0, this.zOff);
    this.fwd(0, this.rowsOff, nb, this.dp, this.wOff, C, this.zOff);
  }

  /** g[c] += Σ_k z[k·C + c]·X[rows[k]] for k < nb (z holds the coefficients). */
  backward(nb: number, C: number): void {
    this.bwd(0, this.rowsOff, nb, this.dp, this.zOff, C, this.gOff);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
      // Growing detaches old views: callers re-reserve after bind, and bind rebuilds its own.
      this.views();
    }
  }
}

let threadInstance: WasmLinear | null | undefined;

/** This thread's kernel instance (null without wasm SIMD or when disabled). */
export function wasmLinear(): WasmLinear | null {
  if (threadInstance === undefined) {
    threadInstance = process.env['GENSEN_EVAL_NO_WASM'] === '1' ? null : WasmLinear.create();
  }
  return threadInstance;
}
