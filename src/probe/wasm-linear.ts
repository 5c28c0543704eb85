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
 * The module is assembled here from opcodes (no toolchain, no binary blob in the repo). Each
 * thread owns one instance. A small dense feature matrix is copied into its linear memory once
 * per dataset (`bind`); anything else — pair features, or a matrix over DENSE_BIND_LIMIT — is
 * streamed (`bindSource`): each call's rows are gathered into a block at the start of memory and
 * the kernels read the block. Either way rows are zero-padded to a multiple of 8 columns (pad
 * columns add nothing to dot products and their gradients are ignored), and the kernels see the
 * same float32 values in the same order, so both modes give bit-identical results.
 */
import type { RowSource } from '../features/source.js';

/**
 * Largest dense matrix copied whole into a kernel's memory (per worker thread). Above it rows are
 * streamed, so a large task costs one copy of its features, never one per worker, and never more
 * than the 4 GiB a WebAssembly memory can address.
 */
export const DENSE_BIND_LIMIT = 512 * 2 ** 20;

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

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const I32_GE_S = 0x4e;
const I32_GE_U = 0x4f;
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = 0x0b;
const brIf = (d: number): number[] => [0x0d, ...uleb(d)];
const br = (d: number): number[] => [0x0c, ...uleb(d)];
const i32Load = (off = 0): number[] => [0x28, 2, ...uleb(off)];
const f32Load = (off = 0): number[] => [0x2a, 2, ...uleb(off)];
const f32Store = (off = 0): number[] => [0x38, 2, ...uleb(off)];
const F32_ADD = 0x92;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const v128Load = (off = 0): number[] => simd(0x00, 0, ...uleb(off));
const v128Store = (off = 0): number[] => simd(0x0b, 0, ...uleb(off));
const v128Zero = (): number[] => simd(0x0c, ...new Array<number>(16).fill(0));
const F32X4_SPLAT = simd(0x13);
const f32x4Lane = (l: number): number[] => simd(0x1f, l);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);

/** `for (v = 0; v < limit; v += step) body` as block/loop; `limit` and `v` are locals. */
function forLoop(v: number, limit: number, step: number, body: number[], unsigned = false): number[] {
  return [
    ...i32c(0), ...set(v),
    ...BLOCK, ...LOOP,
    ...get(v), ...get(limit), unsigned ? I32_GE_U : I32_GE_S, ...brIf(1),
    ...body,
    ...get(v), ...i32c(step), I32_ADD, ...set(v),
    ...br(0), END, END,
  ];
}

// Shared parameter layout: 0 x, 1 rows, 2 nb, 3 dp, 4 w|coef, 5 C, 6 z|g.
// Locals: 7 k, 8 c, 9 j, 10 xo, 11 wo|go, 12 rowBytes, 13 zp|cp, 14 v128 a, 15 v128 b.
const [X, ROWS, NB, DP, W, C, Z, K, CI, J, XO, WO, RB, ZP, A, B] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

const rowStart: number[] = [
  // xo = x + rows[k] * rowBytes
  ...get(X), ...get(ROWS), ...get(K), ...i32c(2), I32_SHL, I32_ADD, ...i32Load(), ...get(RB), I32_MUL, I32_ADD, ...set(XO),
];

// Rows per group in the grouped loops. A group's R dot products are independent dependency
// chains that share each weight load, and R rows stream from memory at once; every output is
// still summed in exactly the order of the one-row loop (per row in forward, over k in backward),
// so results are bit-identical to it.
const R = 4;
// Extra locals of the grouped loops: 16 cb (C·4), 17 nbr (nb − R + 1), 18.. xr[r] (i32);
// then v128 wa, wb, and a[r], b[r].
const [CB, NBR] = [16, 17];
const XR = (r: number): number => 18 + r;
const WA = 18 + R;
const WB = 19 + R;
const AR = (r: number): number => 20 + R + 2 * r;
const BR = (r: number): number => 21 + R + 2 * r;
const EXTRA_LOCALS: number[][] = [[2 + R, I32], [2 + 2 * R, V128]];

const each = (f: (r: number) => number[]): number[] => Array.from({ length: R }, (_, r) => f(r)).flat();

const groupStart: number[] = each((r) => [
  ...get(X), ...get(ROWS), ...get(K), ...i32c(r), I32_ADD, ...i32c(2), I32_SHL, I32_ADD, ...i32Load(), ...get(RB), I32_MUL, I32_ADD, ...set(XR(r)),
]);

/** `while (k < limit) { body; k += step }` from the current k (signed compare). */
const whileK = (limit: number, step: number, body: number[]): number[] => [
  ...BLOCK, ...LOOP,
  ...get(K), ...get(limit), I32_GE_S, ...brIf(1),
  ...body,
  ...get(K), ...i32c(step), I32_ADD, ...set(K),
  ...br(0), END, END,
];

const hsumStore = (acc: number): number[] => [
  ...get(acc), ...f32x4Lane(0), ...get(acc), ...f32x4Lane(1), F32_ADD, ...get(acc), ...f32x4Lane(2), F32_ADD, ...get(acc), ...f32x4Lane(3), F32_ADD,
  ...f32Store(),
];

const forwardRow: number[] = [
  ...get(Z), ...get(K), ...get(CB), I32_MUL, I32_ADD, ...set(ZP),
  ...rowStart,
  ...get(W), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...v128Zero(), ...set(A), ...v128Zero(), ...set(B),
    ...forLoop(J, RB, 32, [
      ...get(A), ...get(WO), ...get(J), I32_ADD, ...v128Load(), ...get(XO), ...get(J), I32_ADD, ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(A),
      ...get(B), ...get(WO), ...get(J), I32_ADD, ...v128Load(16), ...get(XO), ...get(J), I32_ADD, ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(B),
    ], true),
    ...get(A), ...get(B), ...F32X4_ADD, ...set(A),
    ...get(ZP), ...hsumStore(A),
    ...get(ZP), ...i32c(4), I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), I32_ADD, ...set(WO),
  ]),
];

const forwardGroup: number[] = [
  ...groupStart,
  ...get(Z), ...get(K), ...get(CB), I32_MUL, I32_ADD, ...set(ZP),
  ...get(W), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...each((r) => [...v128Zero(), ...set(AR(r)), ...v128Zero(), ...set(BR(r))]),
    ...forLoop(J, RB, 32, [
      ...get(WO), ...get(J), I32_ADD, ...v128Load(), ...set(WA),
      ...get(WO), ...get(J), I32_ADD, ...v128Load(16), ...set(WB),
      ...each((r) => [
        ...get(AR(r)), ...get(WA), ...get(XR(r)), ...get(J), I32_ADD, ...v128Load(), ...F32X4_MUL, ...F32X4_ADD, ...set(AR(r)),
        ...get(BR(r)), ...get(WB), ...get(XR(r)), ...get(J), I32_ADD, ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(BR(r)),
      ]),
    ], true),
    ...each((r) => [
      ...get(AR(r)), ...get(BR(r)), ...F32X4_ADD, ...set(AR(r)),
      ...get(ZP), ...get(CB), ...i32c(r), I32_MUL, I32_ADD, ...hsumStore(AR(r)),
    ]),
    ...get(ZP), ...i32c(4), I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), I32_ADD, ...set(WO),
  ]),
];

const prologue: number[] = [
  ...get(DP), ...i32c(2), I32_SHL, ...set(RB),
  ...get(C), ...i32c(2), I32_SHL, ...set(CB),
  ...get(NB), ...i32c(R - 1), 0x6b /* i32.sub */, ...set(NBR),
  ...i32c(0), ...set(K),
];

const forwardBody: number[] = [...prologue, ...whileK(NBR, R, forwardGroup), ...whileK(NB, 1, forwardRow), END];

const axpy = (off: number): number[] => [
  ...get(WO), ...get(J), I32_ADD,
  ...get(WO), ...get(J), I32_ADD, ...v128Load(off),
  ...get(A), ...get(XO), ...get(J), I32_ADD, ...v128Load(off), ...F32X4_MUL, ...F32X4_ADD,
  ...v128Store(off),
];

// G[c] row chunk += a[r]·X[rows[k + r]] for r = 0..R-1 in turn: one load and store of G per group.
const axpyGroup = (off: number): number[] => [
  ...get(WO), ...get(J), I32_ADD,
  ...get(WO), ...get(J), I32_ADD, ...v128Load(off),
  ...each((r) => [...get(AR(r)), ...get(XR(r)), ...get(J), I32_ADD, ...v128Load(off), ...F32X4_MUL, ...F32X4_ADD]),
  ...v128Store(off),
];

const backwardRow: number[] = [
  ...get(W), ...get(K), ...get(CB), I32_MUL, I32_ADD, ...set(ZP),
  ...rowStart,
  ...get(Z), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...get(ZP), ...f32Load(), ...F32X4_SPLAT, ...set(A),
    ...forLoop(J, RB, 32, [...axpy(0), ...axpy(16)], true),
    ...get(ZP), ...i32c(4), I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), I32_ADD, ...set(WO),
  ]),
];

const backwardGroup: number[] = [
  ...groupStart,
  ...get(W), ...get(K), ...get(CB), I32_MUL, I32_ADD, ...set(ZP),
  ...get(Z), ...set(WO),
  ...forLoop(CI, C, 1, [
    ...each((r) => [...get(ZP), ...get(CB), ...i32c(r), I32_MUL, I32_ADD, ...f32Load(), ...F32X4_SPLAT, ...set(AR(r))]),
    ...forLoop(J, RB, 32, [...axpyGroup(0), ...axpyGroup(16)], true),
    ...get(ZP), ...i32c(4), I32_ADD, ...set(ZP),
    ...get(WO), ...get(RB), I32_ADD, ...set(WO),
  ]),
];

const backwardBody: number[] = [...prologue, ...whileK(NBR, R, backwardGroup), ...whileK(NB, 1, backwardRow), END];

// Loads one word of every cache line of the batch's rows, all independent, so that the cache
// misses of a random minibatch overlap instead of stalling the forward loop one row at a time.
const touchBody: number[] = [
  ...get(DP), ...i32c(2), I32_SHL, ...set(RB),
  ...i32c(0), ...set(ZP),
  ...forLoop(K, NB, 1, [
    ...rowStart,
    ...forLoop(J, RB, 64, [...get(ZP), ...get(XO), ...get(J), I32_ADD, ...i32Load(), I32_ADD, ...set(ZP)], true),
  ]),
  ...get(Z), ...get(ZP), 0x36, 2, 0,
  END,
];

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const fnType = [0x60, ...vec(new Array(7).fill([I32])), 0];
  const locals = vec([[7, I32], [2, V128], ...EXTRA_LOCALS]);
  const code = (body: number[]): number[] => {
    const f = [...locals, ...body];
    return [...uleb(f.length), ...f];
  };
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0], [0], [0]])),
    ...section(7, vec([[...name('forward'), 0x00, 0], [...name('backward'), 0x00, 1], [...name('touch'), 0x00, 2]])),
    ...section(10, vec([code(forwardBody), code(backwardBody), code(touchBody)])),
  ];
  return new Uint8Array(bytes);
}

type KernelFn = (x: number, rows: number, nb: number, dp: number, w: number, c: number, z: number) => void;

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(assemble());
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

  /** Scratch for C output rows and up to `maxRows` rows per call. */
  reserve(C: number, maxRows: number): void {
    const wb = align(C * this.dp * 4, 64);
    this.wOff = this.scratch;
    this.gOff = this.wOff + wb;
    this.zOff = this.gOff + wb;
    this.rowsOff = this.zOff + align(maxRows * C * 4, 64);
    this.ensure(this.rowsOff + maxRows * 4);
    const buf = this.memory.buffer;
    this.w = new Float32Array(buf, this.wOff, C * this.dp);
    this.g = new Float32Array(buf, this.gOff, C * this.dp);
    this.z = new Float32Array(buf, this.zOff, maxRows * C);
    this.rows = new Int32Array(buf, this.rowsOff, maxRows);
    this.w.fill(0);
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
      const buf = this.memory.buffer;
      if (this.w.length > 0) {
        this.w = new Float32Array(buf, this.wOff, this.w.length);
        this.g = new Float32Array(buf, this.gOff, this.g.length);
        this.z = new Float32Array(buf, this.zOff, this.z.length);
        this.rows = new Int32Array(buf, this.rowsOff, this.rows.length);
      }
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
