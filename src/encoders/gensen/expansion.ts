/**
 * GenSen's vocabulary expansion (gensen_senteval.py's prepare): per model, an OLS map from word
 * vectors to the model's embeddings over their shared words; per task, a new vocabulary (the
 * specials, then the task's words) whose rows are the model's own vector, the regressed word
 * vector, or `<unk>`'s. LoadedModel is a model with the vocabulary currently installed.
 */
import { applyLinearMap, fitLinearMap, type LinearMap } from '../../vectors/expansion.js';
import type { WordVectorSubset } from '../../vectors/glove.js';
import type { GruBackend } from './backend.js';
import type { GensenModelData } from './model-files.js';

export const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'] as const;
export const BOS = 0;
export const PAD = 1;
export const EOS = 2;
export const UNK = 3;

/**
 * How task words meet the vocabularies under `senteval`. `python2` (faithful): gensen_senteval.py
 * ran on Python 2, where SentEval's `unicode` tokens never equal the byte-string keys of the model
 * vocabulary or of the GloVe h5 unless they are ASCII, so every word with a non-ASCII character
 * gets the model's `<unk>` row. `utf8` (clean): such words are matched as UTF-8 like any other.
 */
export type VocabText = 'python2' | 'utf8';

/** A word Python 2 could not match against byte strings: it has a non-ASCII character. */
export function isNonAscii(w: string): boolean {
  return /[^\u0000-\u007f]/.test(w);
}

export interface ExpansionCounts {
  readonly own: number;
  readonly regressed: number;
  readonly unk: number;
  readonly nonAscii: number;
  readonly map: LinearMap;
}

export class LoadedModel {
  /** Current lookup (the model's own, or a task's expanded vocabulary). */
  word2id: ReadonlyMap<string, number>;
  private map?: LinearMap;

  constructor(
    readonly data: GensenModelData,
    readonly runner: GruBackend,
  ) {
    this.word2id = data.word2id;
  }

  get hidden(): number {
    return this.data.weights.hidden;
  }

  get embedding(): Float32Array {
    return this.data.weights.tensors.get('src_embedding.weight')!.data;
  }

  useOwnVocabulary(): void {
    this.word2id = this.data.word2id;
    this.runner.setEmbedding(this.embedding);
  }

  /** The regression from word vectors to this model's embeddings, fitted once per model. */
  async linearMap(vectors: WordVectorSubset): Promise<LinearMap> {
    if (this.map && this.map.inDim === vectors.dim) return this.map;
    const E = this.data.weights.embDim;
    const rows: number[] = [];
    const ids: number[] = [];
    for (const [w, id] of this.data.word2id) {
      const r = vectors.index.get(w);
      if (r !== undefined) {
        rows.push(r);
        ids.push(id);
      }
    }
    const n = rows.length;
    const X = new Float32Array(n * vectors.dim);
    const Y = new Float32Array(n * E);
    const emb = this.embedding;
    for (let i = 0; i < n; i++) {
      X.set(vectors.vectors.subarray(rows[i]! * vectors.dim, (rows[i]! + 1) * vectors.dim), i * vectors.dim);
      Y.set(emb.subarray(ids[i]! * E, (ids[i]! + 1) * E), i * E);
    }
    this.map = await fitLinearMap(X, Y, n, vectors.dim, E);
    return this.map;
  }

  /** Installs the expanded vocabulary: specials, then the task words in the given order. */
  async expand(taskWords: readonly string[], vectors: WordVectorSubset, python2: boolean): Promise<ExpansionCounts> {
    const map = await this.linearMap(vectors);
    const E = this.data.weights.embDim;
    const own = this.data.word2id;
    const emb = this.embedding;
    const w2i = new Map<string, number>();
    SPECIALS.forEach((s, i) => w2i.set(s, i));
    for (const w of taskWords) if (!w2i.has(w)) w2i.set(w, w2i.size);
    const table = new Float32Array(w2i.size * E);
    const counts = { own: 0, regressed: 0, unk: 0, nonAscii: 0 };
    const unkId = own.get('<unk>') ?? UNK;
    for (const [w, id] of w2i) {
      const py2Miss = python2 && isNonAscii(w);
      if (py2Miss) counts.nonAscii++;
      const mine = py2Miss ? undefined : own.get(w);
      const g = py2Miss ? undefined : vectors.index.get(w);
      if (mine !== undefined) {
        table.set(emb.subarray(mine * E, (mine + 1) * E), id * E);
        counts.own++;
      } else if (g !== undefined) {
        applyLinearMap(map, vectors.vectors.subarray(g * vectors.dim, (g + 1) * vectors.dim), table, id * E);
        counts.regressed++;
      } else {
        table.set(emb.subarray(unkId * E, (unkId + 1) * E), id * E);
        counts.unk++;
      }
    }
    this.word2id = w2i;
    this.runner.setEmbedding(table);
    return { ...counts, map };
  }

  /** `python2`: non-ASCII tokens are `<unk>` whatever the vocabulary (see VocabText). */
  ids(tokens: readonly string[], python2: boolean): number[] {
    const out = [BOS];
    for (const t of tokens) out.push(python2 && isNonAscii(t) ? UNK : (this.word2id.get(t) ?? UNK));
    out.push(EOS);
    return out;
  }
}
