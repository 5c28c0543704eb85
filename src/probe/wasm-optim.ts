/**
 * The Adam and RMSprop updates as WebAssembly SIMD loops, two float64 lanes wide. At 4096-d the
 * scalar JS update of the 8k parameters cost about a third of a training step (one sqrt and two
 * divisions per parameter, which V8 does not vectorise).
 *
 * The results are bit-identical to the scalar loops in optim.ts: f64x2 add/mul/div/sqrt are
 * correctly rounded IEEE operations, wasm never fuses multiply-adds, and every expression keeps
 * the scalar code's operand order. Each optimizer owns one instance whose memory holds
 * [params | grad | state1 | state2], each padded to an even length (pad lanes stay finite and are
 * never copied out).
 */
import { name, section, sleb, uleb, vec } from './wasm-linear.js';

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = 0x0b;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const load = (base: number, i: number): number[] => [...get(base), ...get(i), I32_ADD, ...simd(0x00), 4, 0];
const store = (base: number, i: number, value: number[]): number[] => [...get(base), ...get(i), I32_ADD, ...value, ...simd(0x0b), 4, 0];
const SPLAT = simd(0x14);
const SQRT = simd(0xef);
const ADD = simd(0xf0);
const SUB = simd(0xf1);
const MUL = simd(0xf2);
const DIV = simd(0xf3);

/** Body of `for (i = 0; i < n; i += 16) body` (n, i locals; unsigned compare). */
function loop16(i: number, n: number, body: number[]): number[] {
  return [
    ...i32c(0), ...set(i),
    ...BLOCK, ...LOOP,
    ...get(i), ...get(n), I32_GE_U, 0x0d, 1,
    ...body,
    ...get(i), ...i32c(16), I32_ADD, ...set(i),
    0x0c, 0, END, END,
  ];
}

// adam(p, g, m, v, nBytes, wd, beta1, a1, beta2, a2, stepSize, bc2Sqrt, eps)
// params 0..4 i32, 5..12 f64; locals 13 i (i32), 14..21 splatted constants, 22 P, 23 G, 24 M, 25 V.
function adamBody(): number[] {
  const [P, G, M, V, N] = [0, 1, 2, 3, 4];
  const I = 13;
  const k = (c: number): number => 14 + c; // splat of f64 param 5 + c
  const [vP, vG, vM, vV] = [22, 23, 24, 25];
  const splats: number[] = [];
  for (let c = 0; c < 8; c++) splats.push(...get(5 + c), ...SPLAT, ...set(k(c)));
  return [
    ...splats,
    ...loop16(I, N, [
      ...load(P, I), ...set(vP),
      // g = grad + wd·p
      ...load(G, I), ...get(k(0)), ...get(vP), ...MUL, ...ADD, ...set(vG),
      // m = beta1·m + a1·g
      ...get(k(1)), ...load(M, I), ...MUL, ...get(k(2)), ...get(vG), ...MUL, ...ADD, ...set(vM),
      // v = beta2·v + (a2·g)·g
      ...get(k(3)), ...load(V, I), ...MUL, ...get(k(4)), ...get(vG), ...MUL, ...get(vG), ...MUL, ...ADD, ...set(vV),
      ...store(M, I, get(vM)),
      ...store(V, I, get(vV)),
      // p - (stepSize·m) / (sqrt(v)/bc2Sqrt + eps)
      ...store(P, I, [
        ...get(vP),
        ...get(k(5)), ...get(vM), ...MUL,
        ...get(vV), ...SQRT, ...get(k(6)), ...DIV, ...get(k(7)), ...ADD,
        ...DIV, ...SUB,
      ]),
    ]),
    END,
  ];
}

// rmsprop(p, g, sq, unused, nBytes, wd, alpha, a1, lr, eps, 0, 0, 0)
function rmspropBody(): number[] {
  const [P, G, S, N] = [0, 1, 2, 4];
  const I = 13;
  const k = (c: number): number => 14 + c;
  const [vP, vG, vS] = [22, 23, 24];
  const splats: number[] = [];
  for (let c = 0; c < 5; c++) splats.push(...get(5 + c), ...SPLAT, ...set(k(c)));
  return [
    ...splats,
    ...loop16(I, N, [
      ...load(P, I), ...set(vP),
      ...load(G, I), ...get(k(0)), ...get(vP), ...MUL, ...ADD, ...set(vG),
      // s = alpha·sq + (a1·g)·g
      ...get(k(1)), ...load(S, I), ...MUL, ...get(k(2)), ...get(vG), ...MUL, ...get(vG), ...MUL, ...ADD, ...set(vS),
      ...store(S, I, get(vS)),
      // p - (lr·g) / (sqrt(s) + eps)
      ...store(P, I, [
        ...get(vP),
        ...get(k(3)), ...get(vG), ...MUL,
        ...get(vS), ...SQRT, ...get(k(4)), ...ADD,
        ...DIV, ...SUB,
      ]),
    ]),
    END,
  ];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const fnType = [0x60, ...vec([...new Array<number[]>(5).fill([I32]), ...new Array<number[]>(8).fill([F64])]), 0];
  const locals = vec([[1, I32], [12, V128]]);
  const code = (body: number[]): number[] => {
    const f = [...locals, ...body];
    return [...uleb(f.length), ...f];
  };
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0], [0]])),
    ...section(7, vec([[...name('adam'), 0x00, 0], [...name('rmsprop'), 0x00, 1]])),
    ...section(10, vec([code(adamBody()), code(rmspropBody())])),
  ]);
}

type StepFn = (p: number, g: number, s1: number, s2: number, nBytes: number, ...k: number[]) => void;

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = process.env['GENSEN_EVAL_NO_WASM'] === '1' ? null : new WebAssembly.Module(assemble());
    } catch {
      compiled = null; // no wasm SIMD: the optimizers keep their scalar loops
    }
  }
  return compiled;
}

const PAGE = 65536;

/** One optimizer's parameter, gradient and two state vectors in wasm memory. */
export class WasmOptimState {
  /** Views of the four vectors (length n). */
  readonly p: Float64Array;
  readonly g: Float64Array;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
  private readonly stride: number;
  private readonly adamFn: StepFn;
  private readonly rmspropFn: StepFn;

  private constructor(mod: WebAssembly.Module, n: number) {
    this.stride = Math.ceil(n / 2) * 16;
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((4 * this.stride) / PAGE)) });
    const inst = new WebAssembly.Instance(mod, { env: { mem: memory } });
    this.adamFn = inst.exports['adam'] as StepFn;
    this.rmspropFn = inst.exports['rmsprop'] as StepFn;
    const buf = memory.buffer;
    this.p = new Float64Array(buf, 0, n);
    this.g = new Float64Array(buf, this.stride, n);
    this.s1 = new Float64Array(buf, 2 * this.stride, n);
    this.s2 = new Float64Array(buf, 3 * this.stride, n);
  }

  /** null without wasm SIMD (or when disabled by GENSEN_EVAL_NO_WASM=1). */
  static create(n: number): WasmOptimState | null {
    const m = module();
    return m ? new WasmOptimState(m, n) : null;
  }

  /** Adam on the vectors in memory (s1 = exp_avg, s2 = exp_avg_sq). */
  adam(wd: number, beta1: number, a1: number, beta2: number, a2: number, stepSize: number, bc2Sqrt: number, eps: number): void {
    const s = this.stride;
    this.adamFn(0, s, 2 * s, 3 * s, s, wd, beta1, a1, beta2, a2, stepSize, bc2Sqrt, eps);
  }

  /** RMSprop on the vectors in memory (s1 = square_avg). */
  rmsprop(wd: number, alpha: number, a1: number, lr: number, eps: number): void {
    const s = this.stride;
    this.rmspropFn(0, s, 2 * s, 3 * s, s, wd, alpha, a1, lr, eps, 0, 0, 0);
  }
}
