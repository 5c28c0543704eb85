/**
 * Builds a GenSen encoder: loads the model(s), places the GRU where compute/device-policy.ts says,
 * and sets up the word vectors of vocabulary expansion (a GloVe file if given; under `senteval`
 * otherwise the embedded 100-d vectors).
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../../util/errors.js';
import { GensenEncoder, type GensenEncoderOptions } from './encoder.js';
import { loadGensenModel, type GensenModelData } from './model-files.js';
import { embeddedVectorSource, GloveVectorSource, type VectorSource } from './word-vectors.js';

/** The entry point for `evaluate` and `encode` (through the registry) and for library users. */
export async function createGensenEncoder(opts: GensenEncoderOptions): Promise<GensenEncoder> {
  if (opts.vocab !== undefined && opts.senteval) {
    throw new UserError("--vocab is an option of the encode command: evaluate expands each task's vocabulary to the task's own words");
  }
  if (opts.vocab !== undefined && !opts.glove) throw new UserError('--vocab lists the words to expand the vocabulary to: it needs --glove');
  if (opts.glove && !existsSync(opts.glove)) throw new UserError(`word vectors file not found: ${opts.glove} (expected GloVe .txt, .txt.gz or GenSen's .h5)`);
  const prefixes = [opts.prefix1, ...(opts.prefix2 ? [opts.prefix2] : [])];
  const models: GensenModelData[] = [];
  for (const p of prefixes) {
    opts.onProgress?.(`loading GenSen model ${p} from ${opts.modelsDir}`);
    models.push(await loadGensenModel(opts.modelsDir, p));
  }
  let source: VectorSource | undefined;
  let label = 'none';
  let note: string | undefined;
  let g: GloveVectorSource | undefined;
  if (opts.glove) {
    g = new GloveVectorSource(
      opts.glove,
      models.map((m) => m.word2id),
      opts.onProgress ?? opts.onNote,
    );
    source = g.get;
    const st = statSync(opts.glove);
    label = `glove:${basename(opts.glove)}:${st.size}`;
    note = `GenSen vocabulary expansion: OLS map from ${opts.glove} (${st.size} bytes) to each model's embeddings`;
  } else if (opts.senteval) {
    ({ source, label, note } = embeddedVectorSource(opts.onNote));
  }
  const enc = await GensenEncoder.fromModels(models, opts, source, label, g);
  const notes = [...models.flatMap((m) => m.notes ?? []), ...(note ? [note] : [])];
  if (opts.senteval && enc.vocabText === 'python2') {
    notes.push(
      'GenSen vocabulary text: task words with a non-ASCII character get the <unk> row, as under gensen_senteval.py on Python 2 ' +
        '(pass --vocab-text utf8 to match them as UTF-8)',
    );
  }
  for (const n of notes) {
    enc.addNote(n);
    opts.onNote?.(n);
  }
  return enc;
}
