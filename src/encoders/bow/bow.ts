import { FixedMatMul64 } from '../../compute/onnxruntime.js';
import type { Matrix } from '../../util/matrix.js';
import { sha256 } from '../../util/hash.js';
import type { EncoderIdentity, SentenceEncoder } from '../types.js';
import type { WordVectors } from '../../vectors/embedded.js';

/**
 * Mean of the word vectors of a sentence's tokens, matching each token by its lowercased form;
 * tokens the vocabulary lacks are skipped, and a sentence with none gets the zero vector.
 * Accumulates in double precision and rounds once, as SentEval's numpy batcher followed by
 * torch.FloatTensor does.
 */
export function meanVectors(wv: WordVectors, batch: readonly (readonly string[])[]): Matrix {
  const d = wv.dim;
  const out = new Float32Array(batch.length * d);
  const acc = new Float64Array(d);
  for (let s = 0; s < batch.length; s++) {
    acc.fill(0);
    let n = 0;
    for (const tok of batch[s]!) {
      const i = wv.index.get(tok.toLowerCase());
      if (i === undefined) continue;
      n++;
      const off = i * d;
      for (let j = 0; j < d; j++) acc[j]! += wv.vectors[off + j]!;
    }
    if (n > 0) for (let j = 0; j < d; j++) out[s * d + j] = acc[j]! / n;
  }
  return { rows: batch.length, cols: d, data: out };
}

export class BowEncoder implements SentenceEncoder {
  readonly identity: EncoderIdentity;
  readonly batchIndependent = true;

  constructor(private readonly wv: WordVectors) {
    this.identity = {
      name: 'bow',
      dim: wv.dim,
      weightsHash: wv.hash,
      params: { vectors: wv.source, pooling: 'mean', match: 'lowercase' },
    };
  }

  async prepare(): Promise<string> {
    return '';
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    return meanVectors(this.wv, batch);
  }

  notes(): string[] {
    return [`bag of words over ${this.wv.source} (${this.wv.words.length} words, ${this.wv.dim}-d)`];
  }

  async close(): Promise<void> {}
}

/**
 * BOREP (Wieting & Kiela 2019, "No Training Required"): each word vector is multiplied by a fixed
 * random matrix W (dim x d, entries uniform in [-1/sqrt(d), 1/sqrt(d)], drawn from the seed), then
 * mean-pooled. Projection is linear, so projecting the mean gives the same vector with d/dim the work.
 * The batch's means go through one float64 GEMM (onnxruntime/MLAS) and are rounded to float32 once:
 * about 30x the throughput of a scalar loop at 4096-d. Version 2 in the identity: version 1 summed
 * in a plain loop, whose double sums can differ in the last bits (so cached vectors are not reused).
 */
export class BorepEncoder implements SentenceEncoder {
  readonly identity: EncoderIdentity;
  readonly batchIndependent = true;
  private readonly w: Float32Array;
  private gemm: Promise<FixedMatMul64> | undefined;

  constructor(
    private readonly wv: WordVectors,
    readonly dim: number,
    readonly projectionSeed: number,
    rng: { uniform(lo: number, hi: number): number },
  ) {
    const d = wv.dim;
    const bound = 1 / Math.sqrt(d);
    // Stored d x dim so that the product streams over contiguous rows.
    this.w = new Float32Array(d * dim);
    for (let i = 0; i < this.w.length; i++) this.w[i] = rng.uniform(-bound, bound);
    this.identity = {
      name: 'borep',
      dim,
      weightsHash: sha256(`${wv.hash}:${sha256(new Uint8Array(this.w.buffer))}`),
      params: { vectors: wv.source, pooling: 'mean', projectionSeed: projectionSeed, dim, version: 2 },
    };
  }

  async prepare(): Promise<string> {
    return '';
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    const D = this.dim;
    const out = new Float32Array(batch.length * D);
    if (batch.length === 0) return { rows: 0, cols: D, data: out };
    // The float32 mean, widened: what version 1 multiplied too.
    const mean = Float64Array.from(meanVectors(this.wv, batch).data);
    this.gemm ??= FixedMatMul64.create(Float64Array.from(this.w), this.wv.dim, D);
    const y = await (await this.gemm).run(mean, batch.length);
    out.set(y);
    return { rows: batch.length, cols: D, data: out };
  }

  notes(): string[] {
    return [`BOREP: ${this.wv.source} projected to ${this.dim}-d by a uniform random matrix (seed ${this.projectionSeed}), mean-pooled`];
  }

  async close(): Promise<void> {}
}
