import type { EncoderDefinition } from '../registry.js';
import { VectorsEncoder } from './vectors-encoder.js';

export const definition: EncoderDefinition = {
  name: 'vectors',
  order: 13,
  describe: "Precomputed vectors: a float32 .npy whose row i belongs to line i of a .jsonl of sentences ('gensen-eval sentences')",
  options: {
    vectors: { type: 'string', required: true, help: 'vectors: float32 .npy [sentences, dim], row i for line i of --sentences' },
    sentences: { type: 'string', required: true, help: "vectors: .jsonl, one JSON string per line (as 'gensen-eval sentences' writes)" },
  },
  async create(o) {
    return new VectorsEncoder(o.vectors as string, o.sentences as string);
  },
};
