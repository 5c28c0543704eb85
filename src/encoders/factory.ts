import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { BorepEncoder, BowEncoder } from './bow/bow.js';
import { loadEmbeddedVectors } from '../vectors/embedded.js';
import type { SentenceEncoder } from './types.js';

export const ENCODER_NAMES = ['bow', 'borep', 'gensen'] as const;
export type EncoderName = (typeof ENCODER_NAMES)[number];

export interface EncoderOptions {
  readonly encoder: EncoderName;
  /** borep: output dimension and projection seed. */
  readonly dim?: number;
  readonly projectionSeed?: number;
  /** gensen: model files. */
  readonly modelsDir?: string;
  readonly prefix1?: string;
  readonly prefix2?: string;
  readonly pool?: 'last' | 'max' | 'best';
  readonly maxPool?: 'faithful' | 'masked';
  readonly glove?: string;
  /** gensen: how non-ASCII task words meet the vocabularies (default `python2`, the original's). */
  readonly vocabText?: 'python2' | 'utf8';
  readonly onNote?: (msg: string) => void;
}

/** One entry point for every encoder, so `evaluate` and the library treat them alike. */
export async function createEncoder(opts: EncoderOptions): Promise<SentenceEncoder> {
  switch (opts.encoder) {
    case 'bow':
      return new BowEncoder(loadEmbeddedVectors(opts.onNote));
    case 'borep': {
      const dim = opts.dim ?? 4096;
      if (!Number.isInteger(dim) || dim < 1) throw new UserError(`--dim must be a positive integer, got ${dim}`);
      const seed = opts.projectionSeed ?? 1111;
      return new BorepEncoder(loadEmbeddedVectors(opts.onNote), dim, seed, new Rng(seed, 0x6b0e));
    }
    case 'gensen': {
      if (!opts.prefix1) throw new UserError('the gensen encoder needs --prefix1 (and optionally --prefix2)');
      const { createGensenEncoder } = await import('./gensen/encoder.js');
      return createGensenEncoder({
        modelsDir: opts.modelsDir ?? '.',
        prefix1: opts.prefix1,
        ...(opts.prefix2 ? { prefix2: opts.prefix2 } : {}),
        pool: opts.pool ?? 'best',
        maxPool: opts.maxPool ?? 'faithful',
        ...(opts.glove ? { glove: opts.glove } : {}),
        senteval: true,
        vocabText: opts.vocabText ?? 'python2',
        ...(opts.onNote ? { onNote: opts.onNote } : {}),
      });
    }
    default:
      throw new UserError(`unknown --encoder '${String(opts.encoder)}': expected one of ${ENCODER_NAMES.join(', ')}`);
  }
}
