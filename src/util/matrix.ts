/** Row-major float32 matrix: the currency between encoders, feature builders and probes. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) {
    throw new Error(`matrix: data has ${d.length} values, expected ${rows}x${cols}`);
  }
  return { rows, cols, data: d };
}

export function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Stack matrices with the same column count vertically. */
export function vstack(parts: readonly Matrix[], cols: number): Matrix {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const out = new Float32Array(rows * cols);
  let off = 0;
  for (const p of parts) {
    if (p.cols !== cols) throw new Error(`vstack: ${p.cols} columns, expected ${cols}`);
    out.set(p.data, off);
    off += p.data.length;
  }
  return { rows, cols, data: out };
}
