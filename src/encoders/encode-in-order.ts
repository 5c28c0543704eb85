/**
 * Batches through an encoder in order with more than one call in flight, for encoders that
 * compute off the calling thread (`SentenceEncoder.encodeConcurrency`): while the caller checks
 * and stores one batch, the encoder's own threads already work on the next. The store loop of
 * `evaluate` and the `encode` command both go through here.
 */
import { UserError } from '../util/errors.js';
import type { SentenceEncoder } from './types.js';

/** More calls in flight only hold more batches in memory: two already keep a pair's threads busy. */
export const MAX_ENCODE_CONCURRENCY = 8;

/** The encoder's declared `encodeConcurrency` (1 when absent); one line for a value out of range. */
export function encodeConcurrency(encoder: SentenceEncoder): number {
  const n = encoder.encodeConcurrency ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_ENCODE_CONCURRENCY) {
    throw new UserError(`encoder '${encoder.identity.name}': encodeConcurrency must be a whole number from 1 to ${MAX_ENCODE_CONCURRENCY}, got ${n}`);
  }
  return n;
}

/**
 * `call` on each of `batches` with up to `depth` calls in flight, `use` on each result in order.
 * A call that fails stops the loop with its error once the calls already started have settled
 * (a handler is attached to each as it starts), so none is left running unobserved.
 */
export async function inOrder<B, R>(
  depth: number,
  batches: readonly B[],
  call: (batch: B) => Promise<R>,
  use: (batch: B, index: number, result: R) => void,
): Promise<void> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  try {
    for (let i = 0; i < batches.length; i++) {
      while (next < batches.length && next < i + depth) {
        const p = call(batches[next++]!);
        p.catch(() => undefined);
        inFlight.push(p);
      }
      use(batches[i]!, i, await inFlight.shift()!);
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}
