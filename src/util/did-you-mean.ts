/**
 * "did you mean" for a mistyped name (a task, a flag): the closest candidates by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours), case-insensitively.
 */

/** Optimal string alignment distance between two strings. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates closest to `word` (several when tied), if any is within a third of the word's
 * length (at least 1, at most 3 edits): a suggestion further away is noise.
 */
export function closest(word: string, candidates: Iterable<string>): string[] {
  const w = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  let best = Infinity;
  let out: string[] = [];
  for (const c of new Set(candidates)) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist > limit) continue;
    if (dist < best) [best, out] = [dist, [c]];
    else if (dist === best) out.push(c);
  }
  return out;
}

/** ` (did you mean MRPC?)`, or '' when nothing is close; `key` merges names of one thing (aliases). */
export function didYouMean(word: string, candidates: Iterable<string>, show: (c: string) => string = (c) => c, key: (c: string) => string = (c) => c): string {
  const seen = new Set<string>();
  const hits = closest(word, candidates).filter((c) => !seen.has(key(c)) && seen.add(key(c)));
  if (hits.length === 0) return '';
  const shown = hits.map(show);
  return ` (did you mean ${shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`}?)`;
}
