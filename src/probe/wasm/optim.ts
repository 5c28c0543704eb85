/**
 * The Adam and RMSprop updates as WebAssembly SIMD loops, two float64 lanes wide. At 4096-d the
 * scalar JS update of the 8k parameters cost about a third of a training step (one sqrt and two
 * divisions per parameter, which V8 does not vectorise).
 *
 * The results are bit-identical to the scalar loops in optim.ts: f64x2 add/mul/div/sqrt are
 * correctly rounded IEEE operations, wasm never fuses multiply-adds, and every expression keeps
 * the scalar code's operand order. Each optimizer owns one instance whose memory holds
 * [params | grad | state1 | state2], each padded to an even length (pad lanes stay finite and are
 * never copied out). optim.wat beside this file is the module's listing, disassembled from the
 * bytes and checked by a test.
 */
import {
  assembleModule,
  END,
  F64X2_ADD as ADD,
  F64X2_DIV as DIV,
  F64X2_MUL as MUL,
  F64X2_SPLAT as SPLAT,
  F64X2_SQRT as SQRT,
  F64X2_SUB as SUB,
  forLoop,
  get,
  I32_ADD,
  localIndex,
  set,
  v128Load,
  v128Store,
  type KernelModule,
} from './assemble.js';

const load = (base: number, i: number): number[] => [...get(base), ...get(i), ...I32_ADD, ...v128Load()];
const store = (base: number, i: number, value: number[]): number[] => [...get(base), ...get(i), ...I32_ADD, ...value, ...v128Store()];

// Both functions share one signature, (i32 × 5, f64 × 8) → (), and one local layout:
//   params  four vector addresses, nBytes (their padded length), eight f64 hyperparameters
//   i32     i (byte offset)
//   v128    the eight hyperparameters splatted to both lanes (name_x2), then the current two
//           elements of each vector (name_i)
// The names are the listing's; '' marks a slot a function leaves unused.
const LOCAL_TYPES: KernelModule['locals'] = [
  [1, 'i32'],
  [12, 'v128'],
];

function localNames(vectors: readonly string[], hyper: readonly string[]): string[] {
  const h = [...hyper, ...new Array<string>(8 - hyper.length).fill('')];
  const v = [...vectors, ...new Array<string>(4 - vectors.length).fill('')];
  return [...v, 'nBytes', ...h, 'i', ...h.map((n) => n && `${n}_x2`), ...v.map((n) => n && `${n}_i`)];
}

/** Splat each named f64 hyperparameter into its v128 local. */
const splatAll = (hyper: readonly string[], at: (n: string) => number): number[] => hyper.flatMap((n) => [...get(at(n)), ...SPLAT, ...set(at(`${n}_x2`))]);

/** p_i = p[i], g_i = grad[i] + wd·p[i]: the decayed gradient both updates start from. */
const decayedGradient = (p: number, grad: number, i: number, pI: number, gI: number, wd: number): number[] => [
  ...load(p, i),
  ...set(pI),
  ...load(grad, i),
  ...get(wd),
  ...get(pI),
  ...MUL,
  ...ADD,
  ...set(gI),
];

/** beta·s[i] + (a·g)·g: the running average of g² (Adam's v, RMSprop's square average). */
const squareAverage = (beta: number, s: number, i: number, a: number, gI: number): number[] => [
  ...get(beta),
  ...load(s, i),
  ...MUL,
  ...get(a),
  ...get(gI),
  ...MUL,
  ...get(gI),
  ...MUL,
  ...ADD,
];

const ADAM_HYPER = ['wd', 'beta1', 'a1', 'beta2', 'a2', 'stepSize', 'bc2Sqrt', 'eps'];
const ADAM_LOCALS = localNames(['p', 'g', 'm', 'v'], ADAM_HYPER);

// adam(p, g, m, v, nBytes, wd, beta1, a1, beta2, a2, stepSize, bc2Sqrt, eps)
function adamBody(): number[] {
  const at = localIndex(ADAM_LOCALS);
  const [P, G, M, V, N, I] = ['p', 'g', 'm', 'v', 'nBytes', 'i'].map(at);
  const [vP, vG, vM, vV] = ['p_i', 'g_i', 'm_i', 'v_i'].map(at);
  const k = (c: number): number => at(`${ADAM_HYPER[c]}_x2`);
  return [
    ...splatAll(ADAM_HYPER, at),
    ...forLoop(
      I,
      N,
      16,
      [
        ...decayedGradient(P, G, I, vP, vG, k(0)),
        // m = beta1·m + a1·g
        ...get(k(1)),
        ...load(M, I),
        ...MUL,
        ...get(k(2)),
        ...get(vG),
        ...MUL,
        ...ADD,
        ...set(vM),
        // v = beta2·v + (a2·g)·g
        ...squareAverage(k(3), V, I, k(4), vG),
        ...set(vV),
        ...store(M, I, get(vM)),
        ...store(V, I, get(vV)),
        // p - (stepSize·m) / (sqrt(v)/bc2Sqrt + eps)
        ...store(P, I, [...get(vP), ...get(k(5)), ...get(vM), ...MUL, ...get(vV), ...SQRT, ...get(k(6)), ...DIV, ...get(k(7)), ...ADD, ...DIV, ...SUB]),
      ],
      true,
    ),
    ...END,
  ];
}

const RMSPROP_HYPER = ['wd', 'alpha', 'a1', 'lr', 'eps'];
const RMSPROP_LOCALS = localNames(['p', 'g', 'sq'], RMSPROP_HYPER);

// rmsprop(p, g, sq, unused, nBytes, wd, alpha, a1, lr, eps, 0, 0, 0)
function rmspropBody(): number[] {
  const at = localIndex(RMSPROP_LOCALS);
  const [P, G, S, N, I] = ['p', 'g', 'sq', 'nBytes', 'i'].map(at);
  const [vP, vG, vS] = ['p_i', 'g_i', 'sq_i'].map(at);
  const k = (c: number): number => at(`${RMSPROP_HYPER[c]}_x2`);
  return [
    ...splatAll(RMSPROP_HYPER, at),
    ...forLoop(
      I,
      N,
      16,
      [
        ...decayedGradient(P, G, I, vP, vG, k(0)),
        // s = alpha·sq + (a1·g)·g
        ...squareAverage(k(1), S, I, k(2), vG),
        ...set(vS),
        ...store(S, I, get(vS)),
        // p - (lr·g) / (sqrt(s) + eps)
        ...store(P, I, [...get(vP), ...get(k(3)), ...get(vG), ...MUL, ...get(vS), ...SQRT, ...get(k(4)), ...ADD, ...DIV, ...SUB]),
      ],
      true,
    ),
    ...END,
  ];
}

/** The optimizer module: adam and rmsprop. */
export const OPTIM_KERNELS: KernelModule = {
  params: ['i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64'],
  locals: LOCAL_TYPES,
  functions: [
    { name: 'adam', body: adamBody(), localNames: ADAM_LOCALS },
    { name: 'rmsprop', body: rmspropBody(), localNames: RMSPROP_LOCALS },
  ],
};

type StepFn = (p: number, g: number, s1: number, s2: number, nBytes: number, ...k: number[]) => void;

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = process.env['GENSEN_EVAL_NO_WASM'] === '1' ? null : new WebAssembly.Module(assembleModule(OPTIM_KERNELS));
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
