/**
 * What `SentenceEncoder.encode` must return (see types.ts): exactly the batch's rows of `dim` finite
 * float32 values. Checked once here for every encoder (built-in, command, http, library users' own),
 * so that a faulty encoder stops the run in one line instead of producing numbers from NaN or from
 * a half-filled matrix.
 */
import { UserError } from '../util/errors.js';
import type { Matrix } from '../util/matrix.js';

/** What is wrong with `m` as the vectors of `rows` sentences of dimension `dim`, or undefined. */
export function badVectors(m: unknown, rows: number, dim: number): string | undefined {
  if (typeof m !== 'object' || m === null) return `returned ${m === null ? 'null' : typeof m}, expected a matrix { rows, cols, data }`;
  const { rows: r, cols: c, data } = m as Partial<Matrix>;
  if (!(data instanceof Float32Array))
    return `its "data" is ${data === undefined ? 'missing' : ((data as object)?.constructor?.name ?? typeof data)}, expected a Float32Array`;
  if (r !== rows || c !== dim) return `returned ${String(r)}x${String(c)} for a batch of ${rows} (dim ${dim})`;
  if (data.length !== rows * dim) return `its "data" has ${data.length} values, ${rows} rows x ${dim} need ${rows * dim}`;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) return `row ${Math.floor(i / dim)} holds ${data[i]} at column ${i % dim} (vectors must be finite)`;
  }
  return undefined;
}

/**
 * `m` as a Matrix, or a UserError naming the encoder and the batch: batch `index` (0-based) of
 * `rows` sentences, the one that starts with `first`.
 */
export function checkEncoderOutput(m: unknown, rows: number, dim: number, where: { encoder: string; index: number; first?: readonly string[] }): Matrix {
  const bad = badVectors(m, rows, dim);
  if (bad === undefined) return m as Matrix;
  const first = where.first ? `, starting ${JSON.stringify(where.first.join(' ').slice(0, 60))}` : '';
  throw new UserError(`encoder '${where.encoder}', batch ${where.index} (${rows} sentences${first}): ${bad}`);
}
