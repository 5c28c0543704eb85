/**
 * Python's round(x, ndigits): the exact binary value of x rounded to ndigits decimals, exact
 * ties to even. Number#toFixed also works on the exact value but breaks ties upwards, so ties
 * (values whose exact expansion ends in 5 right after the last kept digit) are handled here.
 */
export function pyRound(x: number, ndigits = 2): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 1e21) return x;
  const fixed = x.toFixed(ndigits);
  // The exact expansion: toFixed(100) is exact for the part we look at (ties need x to be a
  // dyadic rational with a short expansion).
  const exact = Math.abs(x).toFixed(Math.min(100, ndigits + 60));
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + ndigits);
  if (/^50*$/.test(tail)) {
    // Exact tie: pick the even neighbour.
    const scaled = Math.abs(x) * 10 ** ndigits; // exact enough: tie values are k + 0.5 at this scale
    const down = Math.floor(scaled);
    const even = down % 2 === 0 ? down : down + 1;
    const r = even / 10 ** ndigits;
    return x < 0 ? -r : r;
  }
  return Number(fixed);
}
