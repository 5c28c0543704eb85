/**
 * Sentence vectors from GRU outputs, as gensen.py's Encoder.forward computes them.
 * `last`: [h_backward_final ; h_forward_final] (backward first: torch.cat((h_t[-1], h_t[-2]), 1)).
 * `max`: element-wise max over time of [forward ; backward], taken by the original over the padded
 * batch, whose padding outputs are zero; `faithful` reproduces that (a sentence shorter than the
 * longest of its batch gets max(x, 0)), `masked` ignores padding.
 */
import type { GruBatchOutput } from './backend.js';

export type Pooling = 'last' | 'max';
export type MaxPoolMode = 'faithful' | 'masked';

/**
 * Pools column `b` of a GRU chunk output into `dest[destOffset .. destOffset + 2H)`.
 * `len` is the sentence's length in tokens (incl. <s>, </s>); `batchMaxLen` is the longest
 * sentence of the *caller's* batch (the padding the original would have applied).
 */
export function poolInto(
  out: GruBatchOutput,
  b: number,
  len: number,
  batchMaxLen: number,
  pooling: Pooling,
  maxPool: MaxPoolMode,
  dest: Float32Array,
  destOffset: number,
): void {
  const { B, H } = out;
  if (pooling === 'last') {
    const f = out.finals;
    dest.set(f.subarray((B + b) * H, (B + b + 1) * H), destOffset); // backward
    dest.set(f.subarray(b * H, (b + 1) * H), destOffset + H); // forward
    return;
  }
  const padded = maxPool === 'faithful' && len < batchMaxLen;
  if (out.maxima) {
    // The backend's masked max over t < len (max is exact: the same floats as from the steps).
    for (let d = 0; d < 2; d++) {
      const o = destOffset + d * H;
      dest.set(out.maxima.subarray((d * B + b) * H, (d * B + b + 1) * H), o);
      if (padded) for (let k = 0; k < H; k++) if (dest[o + k]! < 0) dest[o + k] = 0;
    }
    return;
  }
  const steps = out.steps;
  if (!steps) throw new Error('max pooling needs the per-step outputs');
  for (let d = 0; d < 2; d++) {
    const o = destOffset + d * H;
    maxOverSteps(steps, B, H, b, d, len, dest, o);
    if (padded) for (let k = 0; k < H; k++) if (dest[o + k]! < 0) dest[o + k] = 0;
  }
}

/**
 * The element-wise max over t < len of column `b`'s direction-`d` outputs in `steps` ([T, 2, B, H]),
 * into `dest[destOffset .. destOffset + H)`: max pooling from the steps, and the CPU thread
 * runner's fused `maxima` (gru-thread.ts), by the one loop.
 */
export function maxOverSteps(steps: Float32Array, B: number, H: number, b: number, d: number, len: number, dest: Float32Array, destOffset: number): void {
  const first = (d * B + b) * H; // t = 0
  for (let k = 0; k < H; k++) dest[destOffset + k] = steps[first + k]!;
  for (let t = 1; t < len; t++) {
    const base = ((t * 2 + d) * B + b) * H;
    for (let k = 0; k < H; k++) {
      const v = steps[base + k]!;
      if (v > dest[destOffset + k]!) dest[destOffset + k] = v;
    }
  }
}

/** Copies the per-step outputs [forward ; backward] of column `b` into dest rows of width stride. */
export function stepsInto(out: GruBatchOutput, b: number, len: number, dest: Float32Array, destOffset: number, stride: number): void {
  const { B, H } = out;
  const steps = out.steps;
  if (!steps) throw new Error('per-step outputs were not computed');
  for (let t = 0; t < len; t++) {
    for (let d = 0; d < 2; d++) {
      const src = ((t * 2 + d) * B + b) * H;
      dest.set(steps.subarray(src, src + H), destOffset + t * stride + d * H);
    }
  }
}
