/**
 * A GenSen model of the released shapes (V = 80,004, E = 512, H = 1,024 per direction; 1 or 2
 * layers as nli_large / nli_large_bothskip_2layer) with seeded uniform weights, built in memory:
 * for tests and benchmarks of the encoder at full size without the 400 MB checkpoints.
 */
import type { GensenModelData } from '../../src/encoders/gensen/model-files.js';
import type { NamedTensor } from '../../src/encoders/gensen/gru-graph.js';
import { Rng } from '../../src/util/rng.js';

export const FULL = { vocab: 80_004, embDim: 512, hidden: 1024 } as const;

export interface SyntheticShape {
  readonly vocab: number;
  readonly embDim: number;
  readonly hidden: number;
  readonly layers: number;
}

export function syntheticGensen(shape: SyntheticShape, seed = 1111, prefix = 'synthetic'): GensenModelData {
  const rng = new Rng(seed);
  const uniform = (n: number, scale: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
    return a;
  };
  const { vocab: V, embDim: E, hidden: H, layers } = shape;
  const tensors = new Map<string, NamedTensor>();
  tensors.set('src_embedding.weight', { shape: [V, E], data: uniform(V * E, 0.5) });
  // PyTorch's GRU initialisation range, U(-1/sqrt(H), 1/sqrt(H)).
  const s = 1 / Math.sqrt(H);
  for (let l = 0; l < layers; l++) {
    const inp = l === 0 ? E : 2 * H;
    for (const d of ['', '_reverse']) {
      tensors.set(`encoder.weight_ih_l${l}${d}`, { shape: [3 * H, inp], data: uniform(3 * H * inp, s) });
      tensors.set(`encoder.weight_hh_l${l}${d}`, { shape: [3 * H, H], data: uniform(3 * H * H, s) });
      tensors.set(`encoder.bias_ih_l${l}${d}`, { shape: [3 * H], data: uniform(3 * H, s) });
      tensors.set(`encoder.bias_hh_l${l}${d}`, { shape: [3 * H], data: uniform(3 * H, s) });
    }
  }
  const word2id = new Map<string, number>([
    ['<s>', 0],
    ['<pad>', 1],
    ['</s>', 2],
    ['<unk>', 3],
  ]);
  for (let i = 4; i < V; i++) word2id.set(`w${i}`, i);
  return { prefix, weights: { vocabSize: V, embDim: E, hidden: H, layers, tensors }, word2id, filesHash: `${prefix}:${seed}:${V}x${E}x${H}x${layers}` };
}

/** n sentences of seeded random words w4..w{V-1}, lengths uniform in [minLen, maxLen]. */
export function syntheticSentences(n: number, minLen: number, maxLen: number, vocab: number, seed = 7): string[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: minLen + rng.int(maxLen - minLen + 1) }, () => `w${4 + rng.int(vocab - 4)}`));
}
