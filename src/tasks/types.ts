/** Declarative task definitions (the JSON files in the top-level `tasks/` folder) and loaded data. */

/** A registered protocol's name (src/protocol/registry.ts). */
export type ProtocolName = string;
export type { FeatureScheme } from '../protocol/definition.js';
export type SplitName = 'train' | 'dev' | 'test';

/** One split of a task, after reading: token lists (side b for pairs) and labels or scores. */
export interface Split {
  readonly a: string[][];
  readonly b?: string[][];
  /** Class index for classification, gold score for relatedness. */
  readonly y: number[];
  /** Where each sample was read (for prediction sidecars that join back to the data). */
  readonly origin?: SampleOrigin;
}

/**
 * Per sample: the data file (an index into `files`, paths relative to the data folder) and the
 * 1-based line of that file the reader took it from, counted as the reader splits lines (Python's
 * splitlines for the SentEval loaders that use it). Pair tasks with parallel files (SNLI) name the
 * first sentence's file; the same line holds the other sentence and the label.
 */
export interface SampleOrigin {
  readonly files: readonly string[];
  readonly file: readonly number[];
  readonly line: readonly number[];
}

/** The origins of the samples at `idx`, in that order. */
export function pickOrigin(o: SampleOrigin | undefined, idx: readonly number[]): SampleOrigin | undefined {
  return o === undefined ? undefined : { files: o.files, file: idx.map((i) => o.file[i]!), line: idx.map((i) => o.line[i]!) };
}

export interface TaskData {
  /**
   * `all` for the k-fold-over-everything tasks (MR, CR, SUBJ, MPQA); otherwise `train`, `dev`
   * (where the task has one) and `test`, plus extra test sets named `test_<name>` (MultiNLI's
   * `test_mismatched`), whose metrics get the suffix `_<name>`. Unsupervised STS tasks have one
   * split per dataset of the year, named after it (`MSRpar`, `surprise.OnWN`), in the definition's order.
   */
  readonly splits: Readonly<Record<string, Split>>;
  /** Data files read, relative to the data folder (for checksums in results). */
  readonly files: string[];
  /** Caveats that must travel with the numbers (e.g. Quora trained on its dev split). */
  readonly notes: string[];
}
