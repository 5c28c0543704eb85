/** Words for messages. */

/** `a kfold task`, `an unsupervised-sts task`: the indefinite article by the word's first letter. */
export function withArticle(phrase: string): string {
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}
