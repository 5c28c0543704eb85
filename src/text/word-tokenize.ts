/**
 * NLTK's `word_tokenize` word-level step: the NLTKWordTokenizer (Treebank with NLTK's improved
 * regexes, NLTK 3.8), ported regex by regex. Python's `re` is Unicode-aware where JavaScript's is
 * not (\w, \d, \b, \s), so those are spelled out with Unicode property classes.
 *
 * Sentence splitting: `word_tokenize(text)` first runs the Punkt sentence splitter (a trained
 * model, nltk_data/punkt) and tokenizes each sentence, which additionally detaches a period that
 * ends a sentence in the middle of a line. This port does not embed the Punkt model: it equals
 * `word_tokenize(text, preserve_line=True)`, which is the same for one-sentence inputs.
 */
import { pySplit } from '../util/pystr.js';

const W = String.raw`[\p{L}\p{N}_]`;
const B = `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;
const S = String.raw`[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;
/** Python's `$` without MULTILINE: end of string, or just before a final newline. */
const END = String.raw`(?=\n?$)`;

type Rule = readonly [RegExp, string];
const r = (src: string, flags = 'gu'): RegExp => new RegExp(src, flags);

const STARTING_QUOTES: Rule[] = [
  [r('([«“‘„]|[`]+)'), ' $1 '],
  [r('^"', 'u'), '``'],
  [r('(``)'), ' $1 '],
  [r(`([ ([{<])("|'{2})`), '$1 `` '],
  [r(`(')(?!re|ve|ll|m|t|s|d|n)(${W})${B}`, 'giu'), '$1 $2'],
];

const PUNCTUATION: Rule[] = [
  [r(String.raw`([^.])(\.)([\])}>"'»”’ ]*)${S}*$`, 'u'), '$1 $2 $3 '],
  [r(String.raw`([:,])([^\p{Nd}])`), ' $1 $2'],
  [r(`([:,])${END}`, 'u'), ' $1 '],
  [r(String.raw`\.{2,}`), ' $& '],
  [r('[;@#$%&]'), ' $& '],
  [r(String.raw`([^.])(\.)([\])}>"']*)${S}*$`, 'u'), '$1 $2$3 '],
  [r('[?!]'), ' $& '],
  [r("([^'])' "), "$1 ' "],
  [r('[*]'), ' $& '],
];

const PARENS_BRACKETS: Rule = [r(String.raw`[\][(){}<>]`), ' $& '];
const DOUBLE_DASHES: Rule = [r('--'), ' -- '];

const ENDING_QUOTES: Rule[] = [
  [r('([»”’])'), ' $1 '],
  [r("''"), " '' "],
  [r('"'), " '' "],
  [r("([^' ])('[sS]|'[mM]|'[dD]|') "), '$1 $2 '],
  [r("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), '$1 $2 '],
];

const CONTRACTIONS: Rule[] = [
  ...[
    `${B}(can)(not)${B}`,
    `${B}(d)('ye)${B}`,
    `${B}(gim)(me)${B}`,
    `${B}(gon)(na)${B}`,
    `${B}(got)(ta)${B}`,
    `${B}(lem)(me)${B}`,
    `${B}(more)('n)${B}`,
    `${B}(wan)(na)(?=${S})`,
    ` ('t)(is)${B}`,
    ` ('t)(was)${B}`,
  ].map((p): Rule => [r(p, 'giu'), ' $1 $2 ']),
];

function apply(text: string, rules: readonly Rule[]): string {
  let t = text;
  for (const [re, sub] of rules) t = t.replace(re, sub);
  return t;
}

/** NLTKWordTokenizer().tokenize(text): word tokens of one sentence (or line). */
export function treebankTokenize(text: string): string[] {
  let t = apply(text, STARTING_QUOTES);
  t = apply(t, PUNCTUATION);
  t = apply(t, [PARENS_BRACKETS, DOUBLE_DASHES]);
  t = ` ${t} `;
  t = apply(t, ENDING_QUOTES);
  t = apply(t, CONTRACTIONS);
  return pySplit(t);
}

/** `nltk.word_tokenize(text, preserve_line=True)`; see the module note on sentence splitting. */
export function wordTokenize(text: string): string[] {
  return treebankTokenize(text);
}
