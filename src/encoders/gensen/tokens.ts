/**
 * The token lists GenSen sees: gensen_senteval.py's batcher and task vocabulary under `evaluate`;
 * under `encode`, the command's own tokens (src/text/sentence-tokens.ts, gensen.py's
 * get_representation options).
 */
import { pySplit } from '../../util/pystr.js';
import type { TaskContext } from '../types.js';

/** gensen_senteval.py's batcher: `' '.join(tokens).lower()`, then a whitespace split. */
export function sentevalBatcherTokens(tokens: readonly string[]): string[] {
  return pySplit(tokens.join(' ').toLowerCase());
}

/**
 * gensen_senteval.py's task vocabulary: every token of every sample, lowercased unless `cased`
 * (TREC), in first-seen order. Its batcher lowercases anyway, so TREC's cased-only words end up as <unk>.
 */
export function taskVocabulary(task: TaskContext, cased: boolean): string[] {
  const seen = new Set<string>();
  for (const s of task.samples) for (const t of s) seen.add(cased ? t : t.toLowerCase());
  return [...seen];
}
