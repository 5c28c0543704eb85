/**
 * The word vectors a GenSen vocabulary expansion regresses from: a GloVe file streamed for just the
 * words needed, or the embedded 100-d vectors.
 */
import { statSync } from 'node:fs';
import { loadWordVectors, type WordVectorSubset } from '../../vectors/glove.js';
import { loadEmbeddedVectors } from '../../vectors/embedded.js';

/** Word vectors covering (at least) the given words and the models' vocabularies. */
export type VectorSource = (words: readonly string[]) => Promise<WordVectorSubset>;

/**
 * Streams a GloVe file once for the model vocabularies plus every word registered so far; a later
 * request for words not yet considered streams it again (register all tasks' words up front to
 * read the file only once).
 */
export class GloveVectorSource {
  private readonly considered = new Set<string>();
  private current?: WordVectorSubset;

  constructor(
    readonly path: string,
    modelVocabularies: readonly ReadonlyMap<string, number>[],
    private readonly onProgress?: (msg: string) => void,
  ) {
    for (const v of modelVocabularies) for (const w of v.keys()) this.considered.add(w);
  }

  register(words: Iterable<string>): boolean {
    let added = false;
    for (const w of words) {
      if (!this.considered.has(w)) {
        this.considered.add(w);
        added = true;
      }
    }
    if (added) this.current = undefined;
    return added;
  }

  readonly get: VectorSource = async (words) => {
    this.register(words);
    if (!this.current) {
      const total = statSync(this.path).size;
      this.onProgress?.(`reading word vectors ${this.path} (${(total / 2 ** 20).toFixed(0)} MiB) for ${this.considered.size} words`);
      this.current = await loadWordVectors(this.path, {
        keep: (w) => this.considered.has(w),
        onProgress: (p) => this.onProgress?.(`  ${this.path}: ${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%, ${p.kept} words kept`),
      });
    }
    return this.current;
  };
}

/** The embedded vectors as a source, with the label and note the encoder records. */
export function embeddedVectorSource(onNote?: (msg: string) => void): { source: VectorSource; label: string; note: string } {
  const e = loadEmbeddedVectors(onNote);
  const subset: WordVectorSubset = { words: e.words, dim: e.dim, vectors: e.vectors, index: e.index, source: e.source, skippedLines: 0 };
  return {
    source: async () => subset,
    label: `embedded:${e.source}:${e.hash.slice(0, 16)}`,
    note:
      `GenSen vocabulary expansion: OLS map from the embedded ${e.dim}-d vectors (${e.source}), not glove.840B.300d ` +
      'as in the paper; pass --glove for the faithful setting',
  };
}
