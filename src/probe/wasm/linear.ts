/**
 * The runtime of the linear-layer kernels (their bytecode: linear-kernels.ts): one instance per
 * thread, owning a WebAssembly memory of [features | scratch] and the views on it. A small dense
 * feature matrix is copied into that memory once per dataset (`bind`); anything else — pair
 * features, or a matrix over DENSE_BIND_LIMIT — is streamed (`bindSource`): each call's rows are
 * gathered into a block at the start of memory and the kernels read the block. Either way rows
 * are zero-padded to a multiple of 8 columns and the kernels see the same float32 values in the
 * same order, so both modes give bit-identical results.
 */
import { collectGarbage } from '../../util/collect-garbage.js';
import type { FeatureScheme, PairVectors, RowSource } from '../../features/source.js';
import { decodeTable } from '../../features/dtype.js';
import { assembleModule } from './assemble.js';
import { LINEAR_KERNELS } from './linear-kernels.js';
import { LOGISTIC_KERNELS } from './logistic-kernels.js';
import { MLP_KERNELS } from './mlp-kernels.js';
import { PAIR_KERNELS } from './pair-kernels.js';
import { SIGMOID_KERNELS } from './sigmoid-kernels.js';

/**
 * Largest dense matrix copied whole into a kernel's memory (per worker thread). Above it rows are
 * streamed, so a large task costs one copy of its features, never one per worker, and never more
 * than the 4 GiB a WebAssembly memory can address.
 */
export const DENSE_BIND_LIMIT = 512 * 2 ** 20;

/**
 * Largest pair-feature matrix ([|u−v|, u⊙v] or SentEval's NLI four blocks) combined once per task
 * and then bound like single-sentence features, instead of combined from the sentence store at
 * every minibatch and evaluation (a fifth of a 100-d SICK-R probe's time went to that). Smaller
 * than DENSE_BIND_LIMIT because the store stays alive beside the copies; MultiNLI-size features
 * are always streamed.
 */
export const PAIR_COPY_LIMIT = 64 * 2 ** 20;

/**
 * Whether a task's probe features, `bytes` of float32 rows of `scheme`, are copied whole (shared
 * once, then into each worker's kernel memory) rather than streamed from the sentence store. Both
 * give the kernels the same float32 values, so the choice changes no number.
 */
export function copiedWhole(scheme: FeatureScheme, bytes: number): boolean {
  if (scheme === 'single') return bytes <= DENSE_BIND_LIMIT;
  return scheme !== 'pair' && bytes <= PAIR_COPY_LIMIT;
}

type KernelFn = (x: number, rows: number, nb: number, dp: number, w: number, c: number, z: number) => void;
type PairFn = (x: number, nb: number, rowBytes: number, dBytes: number, vecBytes: number) => void;
type MlpFn = (h: number, nb: number, hBytes: number, m: number, w: number, c: number, coef: number, gw2: number) => void;

interface Compiled {
  readonly linear: WebAssembly.Module;
  readonly logistic: WebAssembly.Module;
  readonly mlp: WebAssembly.Module;
  readonly pair: WebAssembly.Module;
}

let compiled: Compiled | null | undefined;

function module(): Compiled | null {
  if (compiled === undefined) {
    try {
      compiled = {
        linear: new WebAssembly.Module(assembleModule(LINEAR_KERNELS)),
        logistic: new WebAssembly.Module(assembleModule(LOGISTIC_KERNELS)),
        mlp: new WebAssembly.Module(assembleModule(MLP_KERNELS)),
        pair: new WebAssembly.Module(assembleModule(PAIR_KERNELS)),
      };
    } catch {
      compiled = null; // no wasm SIMD: callers fall back to scalar JS
    }
  }
  return compiled;
}

let sigmoidModule: WebAssembly.Module | undefined;

const PAGE = 65536;
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Floats per row in the kernels' memory: rows are zero-padded to a multiple of 8 columns (two
 * f32x4 accumulators per step; pad columns add nothing to a dot product).
 */
export const paddedCols = (cols: number): number => align(cols, 8);

/**
 * One thread's kernel instance: a linear memory holding [padded features | scratch].
 * Views (`w`, `g`, `z`, `rows`) are valid until the next `bind`/`reserve`.
 */
export class WasmLinear {
  private readonly memory: WebAssembly.Memory;
  private readonly fwd: KernelFn;
  private readonly fwd4: KernelFn;
  private readonly bwd: KernelFn;
  private readonly touchFn: KernelFn;
  private readonly fwdLead: KernelFn;
  private readonly narrowDiffFn: KernelFn;
  private readonly narrowFn: KernelFn;
  private readonly widenFn: KernelFn;
  private readonly widenPairFn: KernelFn;
  /** The sigmoid module's kernel on this memory, instantiated by the first `sigmoid` call. */
  private sigmoidFn: ((x: number, nBytes: number) => void) | undefined;
  private readonly binaryFn: (z: number, stride: number, nb: number, labels: number, out: number, consts: number) => void;
  private readonly expFn: WasmLinear['binaryFn'];
  private readonly activateFn: MlpFn;
  private readonly logitsFn: MlpFn;
  private readonly headBackwardFn: MlpFn;
  private readonly hiddenForwardFn: MlpFn;
  private readonly hiddenBackwardFn: MlpFn;
  /** The pair-feature combinations by scheme (pair-kernels.ts); `stage` uses them on store sources. */
  private readonly combineFns: Partial<Record<FeatureScheme, PairFn>>;
  /** Half-width stores' codes widened to float32 in place (pair-kernels.ts). */
  private readonly decodeFns: Record<'float16' | 'bfloat16', PairFn>;
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
  /** The MLP's head (see reserve): its shape and its buffers' offsets; nhid 0 without one. */
  private head = { nhid: 0, hp: 0, nclasses: 0, bytes: 0 };
  private maskOff = 0;
  private b1Off = 0;
  private w2Off = 0;
  private gw2Off = 0;
  private coefOff = 0;
  /** Whether `mask` may hold anything but ones (a dropout step wrote it). */
  private maskDrawn = false;
  private p64Off = 0;
  private g64Off = 0;
  private labelsOff = 0;
  private g1Off = 0;
  private constsOff = 0;
  private expOff = 0;
  /** Float64 staging of a probe's weights and weight gradient (see loadWeights, storeGrad). */
  private p64 = new Float64Array(0);
  private g64 = new Float64Array(0);
  /** A minibatch's labels (float64), its rows' two-class coefficients g1, and the kernel's db and scale. */
  private labels64 = new Float64Array(0);
  /** Each row's g1 after binaryCoefficients, for the caller's bias gradient (two past the rows, see the kernel). */
  g1 = new Float64Array(0);
  private consts64 = new Float64Array(0);
  /** Arguments (all ≤ 0) that expInPlace replaces by their exponentials; one per logit of the scratch. */
  ex = new Float64Array(0);
  private lengths = { w: 0, z: 0, rows: 0, weights: 0 };
  w = new Float32Array(0);
  g = new Float32Array(0);
  z = new Float32Array(0);
  rows = new Int32Array(0);
  /** The MLP head's float32 buffers (empty without a head): dropout multipliers [rows × hp]. */
  mask = new Float32Array(0);
  /** b1 [hp], W2 [C × hp] (pad units zero), their gradients gW2 [C × hp] then gb1 [hp]. */
  b1 = new Float32Array(0);
  w2 = new Float32Array(0);
  gw2 = new Float32Array(0);
  gb1 = new Float32Array(0);
  /** Logits [rows × C], then their gradient (headBackward's coefficients). */
  coef = new Float32Array(0);

  private constructor(mod: Compiled) {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const inst = new WebAssembly.Instance(mod.linear, { env: { mem: this.memory } });
    const logistic = new WebAssembly.Instance(mod.logistic, { env: { mem: this.memory } });
    this.binaryFn = logistic.exports['binaryCoefficients'] as WasmLinear['binaryFn'];
    this.expFn = logistic.exports['expNonPositive'] as WasmLinear['binaryFn'];
    const mlp = new WebAssembly.Instance(mod.mlp, { env: { mem: this.memory } });
    this.activateFn = mlp.exports['activate'] as MlpFn;
    this.logitsFn = mlp.exports['logits'] as MlpFn;
    this.headBackwardFn = mlp.exports['headBackward'] as MlpFn;
    this.hiddenForwardFn = mlp.exports['hiddenForward'] as MlpFn;
    this.hiddenBackwardFn = mlp.exports['hiddenBackward'] as MlpFn;
    const pair = new WebAssembly.Instance(mod.pair, { env: { mem: this.memory } });
    this.combineFns = { 'absdiff-prod': pair.exports['absdiffProd'] as PairFn, nli: pair.exports['nli'] as PairFn };
    this.decodeFns = { float16: pair.exports['decodeFloat16'] as PairFn, bfloat16: pair.exports['decodeBfloat16'] as PairFn };
    this.fwd = inst.exports['forward'] as KernelFn;
    this.fwd4 = inst.exports['forward4'] as KernelFn;
    this.fwdLead = inst.exports['forwardLead'] as KernelFn;
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
    const dp = paddedCols(cols);
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
    const dp = paddedCols(src.cols);
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
      const block = this.stagedBlock(nb);
      const pairs = this.source.pairs;
      const combine = pairs && this.combineFns[pairs.scheme];
      if (pairs && combine) this.stagePairs(pairs, combine, rows, start, nb, block);
      else this.source.gather(rows, start, start + nb, block, this.dp);
      for (let k = 0; k < nb; k++) er[k] = k;
      return;
    }
    for (let k = 0; k < nb; k++) er[k] = rows[start + k]!;
  }

  /** The block of a streamed source's staged rows (nb of dp floats), as the last `stage` left it. */
  stagedBlock(nb: number): Float32Array {
    if (!this.source) throw new Error('wasm kernels: no streamed source is bound');
    return new Float32Array(this.memory.buffer, 0, nb * this.dp);
  }

  /**
   * A pair source's rows: each example's u and v copied where the scheme's first two blocks go,
   * then combined in place by the scheme's kernel (the bytes `gather` writes; pad columns zeroed).
   */
  private stagePairs(pairs: PairVectors, combine: PairFn, rows: Int32Array, start: number, nb: number, block: Float32Array): void {
    const { dim: d, dtype } = pairs;
    const { dp, cols } = this;
    if (dtype === 'float32') for (let k = 0; k < nb; k++) pairs.read(rows[start + k]!, block, k * dp, k * dp + d);
    else {
      // u's and v's codes at the row's start, widened in place from the top: the last 2d mod 8 by
      // the table (each float32 lands on codes already read), then the rest eight at a time.
      const codes = new Uint16Array(this.memory.buffer, 0, 2 * nb * dp);
      const table = decodeTable(dtype);
      const simd = 2 * d - ((2 * d) % 8);
      for (let k = 0; k < nb; k++) {
        const o = k * dp;
        pairs.readCodes(rows[start + k]!, codes, 2 * o);
        for (let j = 2 * d - 1; j >= simd; j--) block[o + j] = table[codes[2 * o + j]!]!;
        this.decodeFns[dtype](4 * o, simd, 0, 0, 0);
      }
    }
    if (dp > cols) for (let k = 0; k < nb; k++) block.fill(0, k * dp + cols, (k + 1) * dp);
    combine(0, nb, 4 * dp, 4 * d, 16 * Math.floor(d / 4));
  }

  /**
   * Scratch for C output rows and up to `maxRows` rows per call, and for `weights` float64
   * weights (and as many gradients) of loadWeights/storeGrad.
   */
  reserve(C: number, maxRows: number, weights = 0): void {
    this.reserveWith(C, maxRows, weights, 0, 0);
  }

  /**
   * Scratch for an MLP of `nhid` hidden units and `nclasses` classes on up to `maxRows` rows per
   * call: the first layer as `reserve` of hp = nhid rounded up to a multiple of four output rows
   * (the pad rows of w stay zero, so pad units' pre-activations are 0), and the head's buffers
   * (see mlp-kernels.ts), with the mask all ones and the pads of b1 and W2 zero.
   */
  reserveMlp(inputDim: number, nhid: number, nclasses: number, maxRows: number): void {
    this.reserveWith(align(nhid, 4), maxRows, nhid * inputDim, nhid, nclasses);
  }

  /** The scratch of reserve, and an MLP head's after it when nhid > 0. */
  private reserveWith(C: number, maxRows: number, weights: number, nhid: number, nclasses: number): void {
    const wb = align(C * this.dp * 4, 64);
    this.wOff = this.scratch;
    this.gOff = this.wOff + wb;
    this.zOff = this.gOff + wb;
    this.rowsOff = this.zOff + align(maxRows * C * 4, 64);
    this.lengths = { w: C * this.dp, z: maxRows * C, rows: maxRows, weights: 0 };
    // The head: mask [maxRows × hp], b1 [hp], W2 [C × hp], gW2 [C × hp] and gb1 [hp] adjacent
    // (headBackward finds gb1 after gW2), coef [maxRows × C]; hp keeps every row 16-byte aligned.
    const hp = nhid > 0 ? C : 0;
    this.maskOff = align(this.rowsOff + maxRows * 4, 64);
    this.b1Off = this.maskOff + maxRows * hp * 4;
    this.w2Off = this.b1Off + hp * 4;
    this.gw2Off = this.w2Off + nclasses * hp * 4;
    this.coefOff = this.gw2Off + (nclasses + 1) * hp * 4;
    const bytes = nhid > 0 ? this.coefOff + maxRows * nclasses * 4 - this.maskOff : 0;
    this.head = { nhid, hp, nclasses, bytes };
    this.reserveWeights(weights);
    this.w.fill(0);
    this.b1.fill(0);
    this.w2.fill(0);
    this.mask.fill(1);
    this.maskDrawn = false;
  }

  /** Float64 staging for `weights` weights and as many gradients, after the other scratch. */
  private reserveWeights(weights: number): void {
    this.p64Off = align(this.rowsOff + this.lengths.rows * 4, 64);
    if (this.head.bytes > 0) this.p64Off = align(this.maskOff + this.head.bytes, 64);
    this.g64Off = this.p64Off + align(weights * 8, 64);
    this.labelsOff = this.g64Off + align(weights * 8, 64);
    this.g1Off = this.labelsOff + align((this.lengths.rows + 2) * 8, 64);
    this.constsOff = this.g1Off + align((this.lengths.rows + 2) * 8, 64);
    this.expOff = this.constsOff + 64;
    this.ensure(this.expOff + (this.expLength + 2) * 8);
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
    this.labels64 = new Float64Array(buf, this.labelsOff, L.rows + 2);
    this.g1 = new Float64Array(buf, this.g1Off, L.rows + 2);
    this.consts64 = new Float64Array(buf, this.constsOff, 2);
    this.ex = new Float64Array(buf, this.expOff, this.expLength + 2);
    const { hp, nclasses, bytes } = this.head;
    const rows = bytes > 0 ? L.rows : 0;
    this.mask = new Float32Array(buf, this.maskOff, rows * hp);
    this.b1 = new Float32Array(buf, this.b1Off, hp);
    this.w2 = new Float32Array(buf, this.w2Off, nclasses * hp);
    this.gw2 = new Float32Array(buf, this.gw2Off, nclasses * hp);
    this.gb1 = new Float32Array(buf, this.gw2Off + nclasses * hp * 4, hp);
    this.coef = new Float32Array(buf, this.coefOff, rows * nclasses);
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

  /**
   * Loads a word of every cache line of the staged rows, so that a random minibatch's misses
   * overlap. Only for short rows: long rows stream well by themselves, and touching a batch that
   * does not fit in L2 would just evict it before the backward pass.
   */
  private touchShortRows(nb: number): void {
    if (nb * this.dp <= 32768) this.touchFn(0, this.rowsOff, nb, this.dp, 0, 0, this.zOff);
  }

  /**
   * z[k·C + c] = w[c]·X[rows[k]] for k < nb. `cached`: the rows are in cache (staged into the
   * block, or a benchmark's few rows), not read in place from memory.
   */
  forward(nb: number, C: number, cached = this.source !== null): void {
    this.touchShortRows(nb);
    // Two rows per group keep every value in registers. Long rows read in place come from memory:
    // with one or two weight rows each row is read once, and four rows in flight hide more of its
    // latency; with more, the first weight row takes four rows at once and the others find them
    // in cache (64 rows of MR-size 4096-d features, four weight rows: 133 → 105 µs). Rows staged
    // into the block are in cache already, where four rows' spills cost more than they hide
    // (staged, the same forward: 68 → 75 µs).
    const long = this.dp >= 1024;
    const fwd = long && C <= 2 ? this.fwd4 : long && !cached ? this.fwdLead : this.fwd;
    fwd(0, this.rowsOff, nb, this.dp, this.wOff, C, this.zOff);
  }

  /** g[c] += Σ_k z[k·C + c]·X[rows[k]] for k < nb (z holds the coefficients). */
  backward(nb: number, C: number): void {
    this.bwd(0, this.rowsOff, nb, this.dp, this.zOff, C, this.gOff);
  }

  /** The labels (0 or 1) of rows[start..start + nb), for binaryCoefficients. */
  stageLabels(y: Int32Array, rows: Int32Array, start: number, nb: number): void {
    const l = this.labels64;
    for (let k = 0; k < nb; k++) l[k] = y[rows[start + k]!]!;
  }

  /**
   * The two-class coefficients of `nb` rows (logistic-kernels.ts): z[k·stride + row] holds the
   * logit difference of row k and becomes (σ(db + z) − y)·scale, which g1[k] also receives, in
   * float64. Labels from the last stageLabels.
   */
  binaryCoefficients(nb: number, stride: number, row: number, db: number, scale: number): void {
    if (nb > this.lengths.rows) throw new Error(`wasm kernels: ${nb} rows of coefficients, scratch holds ${this.lengths.rows}`);
    this.consts64[0] = db;
    this.consts64[1] = scale;
    this.binaryFn(this.zOff + 4 * row, 4 * stride, nb, this.labelsOff, this.g1Off, this.constsOff);
  }

  /** Logits the exponential scratch holds: one per row of the first layer's outputs, or of an MLP's classes. */
  private get expLength(): number {
    return Math.max(this.lengths.z, this.lengths.rows * this.head.nclasses);
  }

  /** ex[i] = e^ex[i] for i < n (every ex[i] ≤ 0), by fdlibm's exponential: Math.exp's bits. */
  expInPlace(n: number): void {
    if (n > this.expLength) throw new Error(`wasm kernels: ${n} exponentials, scratch holds ${this.expLength}`);
    if (n & 1) this.ex[n] = 0;
    this.expFn(this.expOff, 0, n + (n & 1), 0, 0, 0);
  }

  /** e^x of each x ≤ 0 of `xs`, through expInPlace (for its tests; call between minibatches). */
  expNonPositive(xs: Float64Array): Float64Array {
    const out = new Float64Array(xs.length);
    const n = this.expLength - (this.expLength & 1);
    if (n === 0) throw new Error('wasm kernels: expNonPositive before reserve');
    for (let s = 0; s < xs.length; s += n) {
      const m = Math.min(n, xs.length - s);
      this.ex.set(xs.subarray(s, s + m));
      this.expInPlace(m);
      out.set(this.ex.subarray(0, m), s);
    }
    return out;
  }

  /** The hidden units the first-layer kernels compute: nhid rounded up to an even count, in bytes. */
  private get unitBytes(): number {
    return (this.head.nhid + (this.head.nhid & 1)) * 4;
  }

  /**
   * An MLP's hidden pre-activations without bias, z[k, u] = w[u]·X[rows[k]] for k < nb and every
   * unit u < hp (rows hp apart): forward's product, blocked for many output rows
   * (mlp-kernels.ts).
   */
  hiddenForward(nb: number): void {
    this.touchShortRows(nb);
    this.hiddenForwardFn(this.zOff, nb, this.head.hp * 4, this.rowsOff, this.wOff, this.dp * 4, 0, this.unitBytes);
  }

  /**
   * g[u] += Σ_k z[k, u]·X[rows[k]] for k < nb and every unit u < hp (z holds the hidden layer's
   * gradient, rows hp apart): backward's product in its order, blocked as hiddenForward.
   */
  hiddenBackward(nb: number): void {
    this.hiddenBackwardFn(this.zOff, nb, this.head.hp * 4, this.rowsOff, this.gOff, this.dp * 4, 0, this.unitBytes);
  }

  /**
   * z[i] = σ(z[i]) for i < n, in float32 (sigmoid-kernels.ts). Works four values at a time: the
   * up to three values after z[n − 1] are overwritten too (z's scratch is padded to 64 bytes). No
   * training path calls it (the MLP's `activate` computes the same σ fused with its bias and
   * dropout): it is the oracle `activate` is tested against, so its module is compiled and
   * instantiated only when asked.
   */
  sigmoid(n: number): void {
    if (n > this.lengths.z) throw new Error(`wasm kernels: sigmoid of ${n} values, z holds ${this.lengths.z}`);
    if (!this.sigmoidFn) {
      sigmoidModule ??= new WebAssembly.Module(assembleModule(SIGMOID_KERNELS));
      const act = new WebAssembly.Instance(sigmoidModule, { env: { mem: this.memory } });
      this.sigmoidFn = act.exports['sigmoid'] as (x: number, nBytes: number) => void;
    }
    this.sigmoidFn(this.zOff, align(n, 4) * 4);
  }

  /** Floats per row of an MLP's hidden layer in z: its units padded to a multiple of four. */
  get hiddenStride(): number {
    return this.head.hp;
  }

  /**
   * The head's float32 parameters from an MLP's float64 ones `p` (ProbeNet's layout, W1 of
   * `inputDim` columns first): b1 and W2, pads left zero.
   */
  loadHead(p: Float64Array, inputDim: number): void {
    const { nhid: H, hp, nclasses: C } = this.head;
    const b1 = H * inputDim;
    const w2 = b1 + H;
    for (let u = 0; u < H; u++) this.b1[u] = p[b1 + u]!;
    for (let c = 0; c < C; c++) for (let u = 0; u < H; u++) this.w2[c * hp + u] = p[w2 + c * H + u]!;
  }

  /**
   * The dropout multipliers of the next `activate` ([rows × hp]; write the nhid units of each
   * row, pads stay 1). Without this call since the last masked one, activate sees all ones.
   */
  dropoutMask(): Float32Array {
    this.maskDrawn = true;
    return this.mask;
  }

  /**
   * z[k, u] = σ((z[k, u] + b1[u])·m[k, u]) for the nb rows of hidden pre-activations the forward
   * kernel left in z (hp of them per row): m is what was written to dropoutMask() when `masked`,
   * else 1.
   */
  activate(nb: number, masked: boolean): void {
    if (!masked && this.maskDrawn) {
      this.mask.fill(1);
      this.maskDrawn = false;
    }
    const hp = this.head.hp;
    this.activateFn(this.zOff, nb, hp * 4, this.maskOff, this.b1Off, 0, 0, 0);
  }

  /** coef[k, c] = W2[c]·h[k] for the nb rows of hidden activations in z (b2 not added). */
  headLogits(nb: number): void {
    const { hp, nclasses } = this.head;
    this.logitsFn(this.zOff, nb, hp * 4, 0, this.w2Off, nclasses, this.coefOff, 0);
  }

  /**
   * With coef holding d loss / d logits: gW2 and gb1 (overwritten) from the nb rows, and z's rows
   * become the hidden pre-activations' gradient (the backward kernel's coefficients); the mask
   * is that of the last activate.
   */
  headBackward(nb: number): void {
    const { hp, nclasses } = this.head;
    this.gw2.fill(0);
    this.gb1.fill(0);
    this.headBackwardFn(this.zOff, nb, hp * 4, this.maskOff, this.w2Off, nclasses, this.coefOff, this.gw2Off);
  }

  /** gb1 and gW2 into an MLP's float64 gradient `grad` (ProbeNet's layout; b2's is not touched). */
  storeHeadGrad(grad: Float64Array, inputDim: number): void {
    const { nhid: H, hp, nclasses: C } = this.head;
    const b1 = H * inputDim;
    const w2 = b1 + H;
    for (let u = 0; u < H; u++) grad[b1 + u] = this.gb1[u]!;
    for (let c = 0; c < C; c++) for (let u = 0; u < H; u++) grad[w2 + c * H + u] = this.gw2[c * hp + u]!;
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

/**
 * Lets this thread's kernel instance go and collects its memory at once: a WebAssembly memory
 * only grows, so one that held a task's features (174 MB for MR at 4096-d) would otherwise stay
 * resident through every later task (an idle worker allocates nothing, so V8 would not collect it
 * either). The next `wasmLinear()` starts a fresh instance; a net still bound to the old one keeps it.
 */
export function releaseWasmLinear(): void {
  threadInstance = undefined;
  collectGarbage();
}
