import type { SentenceEncoder } from '../encoders/types.js';
import type { Matrix } from '../util/matrix.js';
import type { FeatureCache } from './feature-cache.js';

export interface EncodeStats {
  sentences: number;
  fromCache: number;
  seconds: number;
}

/**
 * Encode sentences in consecutive batches of `batchSize`, in the order given (SentEval's sorted
 * order), through the feature cache when one is given.
 */
export async function encodeSentences(
  encoder: SentenceEncoder,
  taskState: string,
  sentences: readonly (readonly string[])[],
  batchSize: number,
  cache: FeatureCache | undefined,
  stats: EncodeStats,
  onBatch?: (done: number, total: number) => void,
): Promise<Matrix> {
  const t0 = performance.now();
  const key = cache?.key(encoder.identity, taskState, batchSize, sentences);
  const hit = key ? cache!.get(key) : undefined;
  if (hit && hit.rows === sentences.length && hit.cols === encoder.identity.dim) {
    stats.sentences += sentences.length;
    stats.fromCache += sentences.length;
    stats.seconds += (performance.now() - t0) / 1000;
    return hit;
  }
  const dim = encoder.identity.dim;
  const out = new Float32Array(sentences.length * dim);
  for (let i = 0; i < sentences.length; i += batchSize) {
    const batch = sentences.slice(i, i + batchSize);
    const m = await encoder.encode(batch);
    if (m.rows !== batch.length || m.cols !== dim) {
      throw new Error(`encoder ${encoder.identity.name} returned ${m.rows}x${m.cols} for a batch of ${batch.length} (dim ${dim})`);
    }
    out.set(m.data, i * dim);
    onBatch?.(Math.min(i + batchSize, sentences.length), sentences.length);
  }
  const result = { rows: sentences.length, cols: dim, data: out };
  if (key) cache!.put(key, result);
  stats.sentences += sentences.length;
  stats.seconds += (performance.now() - t0) / 1000;
  return result;
}
