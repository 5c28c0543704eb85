/**
 * The two optimizers SentEval's presets use, with torch.optim's exact update rules (PyTorch 1.x
 * single-tensor path). L2 is *coupled* weight decay: `wd·param` is added to the gradient before the
 * moment updates, biases included, as `torch.optim.Adam(weight_decay=l2)` does.
 */
import { WasmOptimState } from './wasm/optim.js';

export type OptimName = 'adam' | 'rmsprop';

/** torch.optim's defaults, as SentEval constructs both optimizers (the GPU trainer reads them too). */
export const ADAM_DEFAULTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;
export const RMSPROP_DEFAULTS = { lr: 0.01, alpha: 0.99, eps: 1e-8 } as const;

export interface Optimizer {
  /** One update of `params` from `grad` (grad is left untouched). */
  step(params: Float64Array, grad: Float64Array): void;
  /**
   * The optimizer's own parameter and gradient vectors, where it has them (the wasm state): a
   * probe that keeps its parameters and writes its gradient there spares two copies in and one
   * out of every step, the same arithmetic on the same values.
   */
  readonly vectors: { readonly params: Float64Array; readonly grad: Float64Array } | null;
}

/** Into the wasm state unless the caller already keeps its vectors there. */
function stage(w: WasmOptimState, params: Float64Array, grad: Float64Array): void {
  if (params !== w.p) w.p.set(params);
  if (grad !== w.g) w.g.set(grad);
}

export class Adam implements Optimizer {
  get vectors(): Optimizer['vectors'] {
    return this.wasm && { params: this.wasm.p, grad: this.wasm.g };
  }
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly wasm: WasmOptimState | null;
  private t = 0;
  constructor(
    size: number,
    private readonly weightDecay: number,
    private readonly lr: number = ADAM_DEFAULTS.lr,
    private readonly beta1: number = ADAM_DEFAULTS.beta1,
    private readonly beta2: number = ADAM_DEFAULTS.beta2,
    private readonly eps: number = ADAM_DEFAULTS.eps,
    simd = true,
  ) {
    this.wasm = simd ? WasmOptimState.create(size) : null;
    this.m = this.wasm ? this.wasm.s1 : new Float64Array(size);
    this.v = this.wasm ? this.wasm.s2 : new Float64Array(size);
  }

  step(params: Float64Array, grad: Float64Array): void {
    this.t++;
    const { m, v, beta1, beta2, eps, weightDecay } = this;
    const stepSize = this.lr / (1 - beta1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const a1 = 1 - beta1;
    const a2 = 1 - beta2;
    const w = this.wasm;
    if (w) {
      stage(w, params, grad);
      w.adam(weightDecay, beta1, a1, beta2, a2, stepSize, bc2Sqrt, eps);
      if (params !== w.p) params.set(w.p);
      return;
    }
    const n = params.length;
    for (let i = 0; i < n; i++) {
      const p = params[i]!;
      const g = grad[i]! + weightDecay * p;
      const mi = beta1 * m[i]! + a1 * g;
      const vi = beta2 * v[i]! + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = p - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}

export class RMSprop implements Optimizer {
  get vectors(): Optimizer['vectors'] {
    return this.wasm && { params: this.wasm.p, grad: this.wasm.g };
  }
  private readonly sq: Float64Array;
  private readonly wasm: WasmOptimState | null;
  constructor(
    size: number,
    private readonly weightDecay: number,
    private readonly lr: number = RMSPROP_DEFAULTS.lr,
    private readonly alpha: number = RMSPROP_DEFAULTS.alpha,
    private readonly eps: number = RMSPROP_DEFAULTS.eps,
    simd = true,
  ) {
    this.wasm = simd ? WasmOptimState.create(size) : null;
    this.sq = this.wasm ? this.wasm.s1 : new Float64Array(size);
  }

  step(params: Float64Array, grad: Float64Array): void {
    const { sq, alpha, eps, lr, weightDecay } = this;
    const a1 = 1 - alpha;
    const w = this.wasm;
    if (w) {
      stage(w, params, grad);
      w.rmsprop(weightDecay, alpha, a1, lr, eps);
      if (params !== w.p) params.set(w.p);
      return;
    }
    const n = params.length;
    for (let i = 0; i < n; i++) {
      const p = params[i]!;
      const g = grad[i]! + weightDecay * p;
      const s = alpha * sq[i]! + a1 * g * g;
      sq[i] = s;
      params[i] = p - (lr * g) / (Math.sqrt(s) + eps);
    }
  }
}

/** `simd: false` keeps the scalar loops (the wasm ones give bit-identical results). */
export function makeOptimizer(name: OptimName, size: number, weightDecay: number, simd = true): Optimizer {
  switch (name) {
    case 'adam':
      return new Adam(size, weightDecay, undefined, undefined, undefined, undefined, simd);
    case 'rmsprop':
      return new RMSprop(size, weightDecay, undefined, undefined, undefined, simd);
  }
}
