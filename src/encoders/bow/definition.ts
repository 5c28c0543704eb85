import { Rng } from '../../util/rng.js';
import { loadEmbeddedVectors } from '../../vectors/embedded.js';
import { BorepEncoder, BowEncoder } from './bow.js';
import type { EncoderDefinition } from '../registry.js';

export const definitions: EncoderDefinition[] = [
  {
    name: 'bow',
    order: 0,
    describe: 'Mean of the embedded GloVe-6B 100-d word vectors (lowercased match)',
    options: {},
    async create(_o, ctx) {
      return new BowEncoder(loadEmbeddedVectors(ctx.onNote));
    },
  },
  {
    name: 'borep',
    order: 1,
    describe: 'BOREP: the embedded word vectors through a fixed random projection, mean-pooled',
    options: {
      dim: { type: 'number', integer: true, min: 1, default: 4096, help: 'borep: output dimension' },
      projectionSeed: { type: 'number', integer: true, min: 0, max: 4294967295, default: 1111, help: 'borep: seed of the random projection' },
    },
    async create(o, ctx) {
      const dim = o.dim as number;
      const seed = o.projectionSeed as number;
      return new BorepEncoder(loadEmbeddedVectors(ctx.onNote), dim, seed, new Rng(seed, 0x6b0e));
    },
  },
];
