/** Declarative task definitions (the JSON files in the top-level `tasks/` folder) and loaded data. */

export type ProtocolName = 'inner-kfold' | 'kfold' | 'split' | 'relatedness' | 'unsupervised-sts';
/** `pair`: [u, v] side by side, for protocols that score the two sentence vectors themselves (unsupervised STS). */
export type FeatureScheme = 'single' | 'absdiff-prod' | 'nli' | 'pair';
export type SplitName = 'train' | 'dev' | 'test';

/** One split of a task, after reading: token lists (side b for pairs) and labels or scores. */
export interface Split {
  readonly a: string[][];
  readonly b?: string[][];
  /** Class index for classification, gold score for relatedness. */
  readonly y: number[];
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
