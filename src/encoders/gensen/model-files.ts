/** One pretrained GenSen model from its released files: `<prefix>.model` and `<prefix>_vocab.pkl`. */
import { sha256, sha256File } from '../../util/hash.js';
import type { GensenWeights } from './gru-graph.js';
import { loadGensenStateDict, resolveGensenFiles } from './state-dict.js';
import { loadVocab } from './vocab.js';

/** One pretrained model, as the checkpoint reader delivers it. */
export interface GensenModelData {
  readonly prefix: string;
  readonly weights: GensenWeights;
  readonly word2id: ReadonlyMap<string, number>;
  /** sha256 over the model's files (checkpoint + vocabulary). */
  readonly filesHash: string;
  /** What reading the files noticed (e.g. vocabulary words that are not UTF-8). */
  readonly notes?: readonly string[];
}

/** Reads `<modelsDir>/<prefix>.model` and `<prefix>_vocab.pkl` (UserError naming both if missing). */
export async function loadGensenModel(modelsDir: string, prefix: string): Promise<GensenModelData> {
  const files = resolveGensenFiles(modelsDir, prefix);
  // The vocabulary first: the checkpoint's shapes are checked against it before its data is read.
  const vocab = await loadVocab(files.vocab);
  const [weights, h1, h2] = await Promise.all([
    loadGensenStateDict(files.model, { file: files.vocab, size: vocab.id2word.length }),
    sha256File(files.model),
    sha256File(files.vocab),
  ]);
  return { prefix, weights, word2id: vocab.word2id, filesHash: sha256(`${h1}:${h2}`), notes: vocab.notes };
}
