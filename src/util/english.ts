/** Words for messages. */

/** `a kfold task`, `an unsupervised-sts task`: the indefinite article by the word's first letter. */
export function withArticle(phrase: string): string {
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

/** `1 task`, `3 tasks`: a count with its noun, plural by -s unless `plural` is given. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
