/**
 * The probes' hot random stream (epoch shuffles, dropout masks): xoshiro128** with its state in
 * an Int32Array, seeded from the project's `Rng`. Same algorithm family as `Rng`, but `Rng` keeps
 * its state in object fields, where V8 boxes uint32 values above 2^31 as heap numbers: about
 * 60 ns per draw, which made epoch shuffling cost as much as the training arithmetic.
 */
import { Rng } from '../util/rng.js';

export class FastStream {
  private readonly s = new Int32Array(4);

  constructor(seed: number, stream: number) {
    const r = new Rng(seed, stream);
    for (let i = 0; i < 4; i++) this.s[i] = r.nextU32() | 0;
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** Uniform 32-bit value as a signed int32 (callers use `>>> 0` or the bits). */
  nextI32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Uniform double in [0, 1) (32 random bits; enough for dropout masks). */
  next(): number {
    return (this.nextI32() >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n) for n ≤ 2^21 (multiply-shift; bias below n/2^32). */
  below(n: number): number {
    return Math.floor(((this.nextI32() >>> 0) * n) / 4294967296);
  }
}

/** `out` = `rows` in a fresh uniformly random order (np.random.permutation's role per epoch). */
export function shuffledInto(rows: Int32Array, out: Int32Array, rng: FastStream): void {
  out.set(rows);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
}
