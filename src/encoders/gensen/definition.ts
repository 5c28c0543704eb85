import type { EncoderDefinition } from '../registry.js';

export const definition: EncoderDefinition = {
  name: 'gensen',
  order: 2,
  describe: "GenSen (Subramanian et al. 2018) from the authors' PyTorch checkpoints",
  impliedBy: 'prefix1',
  tokenStates: true,
  options: {
    prefix1: { type: 'string', required: true, help: 'GenSen model prefix, e.g. nli_large' },
    prefix2: { type: 'string', help: 'Second GenSen model, concatenated after the first' },
    modelsDir: { type: 'string', default: '.', help: 'Folder with <prefix>.model and <prefix>_vocab.pkl' },
    pool: {
      type: 'string',
      choices: ['last', 'max', 'best'],
      default: 'best',
      help: "GenSen pooling: last ([h_bwd ; h_fwd] final states), max (over time), best (the paper's: each task's encoderHints.gensen.pooling in tasks/*.json, else last; encode: last)",
    },
    maxPool: {
      type: 'string',
      choices: ['faithful', 'masked'],
      default: 'faithful',
      help: "Max pooling over the batch's zero padding too, as gensen.py (faithful), or not (masked)",
    },
    glove: { type: 'string', help: 'GloVe vectors (.txt, .txt.gz or .h5) for GenSen vocabulary expansion (encode: to --vocab, or the input tokens)' },
    vocab: { type: 'string', help: 'encode only: words to expand the GenSen vocabulary to, .json array or one word per line (needs --glove)' },
    vocabText: {
      type: 'string',
      choices: ['python2', 'utf8'],
      default: 'python2',
      help: "GenSen: non-ASCII task words get <unk> as under the original's Python 2 (python2), or match as UTF-8 (utf8)",
    },
  },
  async create(o, ctx) {
    // Loaded on demand: the checkpoint reader is only needed when GenSen is asked for.
    const { createGensenEncoder } = await import('./factory.js');
    return createGensenEncoder({
      modelsDir: o.modelsDir as string,
      prefix1: o.prefix1 as string,
      ...(o.prefix2 ? { prefix2: o.prefix2 as string } : {}),
      pool: o.pool as 'last' | 'max' | 'best',
      maxPool: o.maxPool as 'faithful' | 'masked',
      ...(o.glove ? { glove: o.glove as string } : {}),
      ...(o.vocab ? { vocab: o.vocab as string } : {}),
      senteval: ctx.use !== 'encode',
      vocabText: o.vocabText as 'python2' | 'utf8',
      ...(ctx.onNote ? { onNote: ctx.onNote } : {}),
      // encode shows loading and expansion progress; evaluate has its own progress line.
      ...(ctx.use === 'encode' && ctx.onNote ? { onProgress: ctx.onNote } : {}),
      ...(ctx.device ? { device: ctx.device } : {}),
    });
  },
};
