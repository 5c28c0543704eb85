/**
 * How the `encode` command turns a raw sentence into tokens, for every encoder alike: gensen.py's
 * get_representation options (lowercase first if asked; NLTK word_tokenize if asked, else Python's
 * `str.split()`).
 */
import { pySplit } from '../util/pystr.js';
import { wordTokenize } from './word-tokenize.js';

export interface TokenizeOptions {
  readonly lowercase?: boolean;
  readonly tokenize?: boolean;
}

export function sentenceTokens(s: string, o: TokenizeOptions): string[] {
  const t = o.lowercase ? s.toLowerCase() : s;
  return o.tokenize ? wordTokenize(t) : pySplit(t);
}
