import type { EncoderDefinition } from '../registry.js';

export const definition: EncoderDefinition = {
  name: 'gensen',
  order: 2,
  describe: "GenSen (Subramanian et al. 2018) from the authors' PyTorch checkpoints",
  options: {
    prefix1: { type: 'string', required: true, help: 'GenSen model prefix, e.g. nli_large' },
    prefix2: { type: 'string', help: 'Second GenSen model, concatenated after the first' },
    modelsDir: { type: 'string', default: '.', help: 'Folder with <prefix>.model and <prefix>_vocab.pkl' },
    pool: { type: 'string', choices: ['last', 'max', 'best'], default: 'best', help: "GenSen pooling ('best': each task's gensenPooling in tasks/*.json, as the paper)" },
    maxPool: { type: 'string', choices: ['faithful', 'masked'], default: 'faithful', help: 'Max pooling over the batch padding (faithful) or not (masked)' },
    glove: { type: 'string', help: 'GloVe vectors (.txt, .txt.gz or .h5) for GenSen vocabulary expansion' },
    vocabText: {
      type: 'string',
      choices: ['python2', 'utf8'],
      default: 'python2',
      help: "GenSen: non-ASCII task words get <unk> as under the original's Python 2 (python2), or match as UTF-8 (utf8)",
    },
  },
  async create(o, ctx) {
    // Loaded on demand: the checkpoint reader is only needed when GenSen is asked for.
    const { createGensenEncoder } = await import('./encoder.js');
    return createGensenEncoder({
      modelsDir: o.modelsDir as string,
      prefix1: o.prefix1 as string,
      ...(o.prefix2 ? { prefix2: o.prefix2 as string } : {}),
      pool: o.pool as 'last' | 'max' | 'best',
      maxPool: o.maxPool as 'faithful' | 'masked',
      ...(o.glove ? { glove: o.glove as string } : {}),
      senteval: true,
      vocabText: o.vocabText as 'python2' | 'utf8',
      ...(ctx.onNote ? { onNote: ctx.onNote } : {}),
      ...(ctx.device ? { device: ctx.device } : {}),
    });
  },
};
