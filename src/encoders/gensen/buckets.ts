/** Groups sentence indices (sorted longest first) into sub-batches of similar length. */
export function lengthBuckets(lens: readonly number[], maxChunk: number): number[][] {
  const order = lens.map((_, i) => i).sort((a, b) => lens[b]! - lens[a]! || a - b);
  const chunks: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    // Padding costs full GRU steps, so close a chunk once lengths drop well below its longest;
    // tiny chunks lose more to per-step overhead than padding would, hence the minimum size.
    if (cur.length > 0 && (cur.length >= maxChunk || (cur.length >= 16 && lens[i]! < 0.8 * lens[cur[0]!]!))) {
      chunks.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}
