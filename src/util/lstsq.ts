/**
 * Minimum-norm least squares through a singular value decomposition, in double precision: what
 * LAPACK's gelsd (scipy.linalg.lstsq, hence scikit-learn's LinearRegression) returns when a system
 * is underdetermined or rank-deficient. The SVD is one-sided Jacobi (Hestenes), after a Householder
 * QR when there are more rows than columns, which gets small singular values to full relative
 * accuracy, so the rank decision sees the same spectrum LAPACK does (a Gram matrix would square it).
 */

const EPS = 2 ** -52;

export interface Svd {
  /** Singular values, in the order of the columns (not sorted). */
  readonly sigma: Float64Array;
  /** The rotated columns: column j = σ_j · u_j (length `len`). */
  readonly cols: Float64Array[];
  /** Right singular vectors: column j = v_j (length = number of columns). */
  readonly v: Float64Array[];
}

/** One-sided Jacobi SVD of the matrix whose columns are `cols` (overwritten). */
export function jacobiSvd(cols: Float64Array[], len: number): Svd {
  const p = cols.length;
  const v = Array.from({ length: p }, (_, j) => {
    const c = new Float64Array(p);
    c[j] = 1;
    return c;
  });
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let i = 0; i < p - 1; i++) {
      const a = cols[i]!;
      for (let j = i + 1; j < p; j++) {
        const b = cols[j]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < len; k++) {
          const x = a[k]!;
          const y = b[k]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < len; k++) {
          const x = a[k]!;
          const y = b[k]!;
          a[k] = c * x - s * y;
          b[k] = s * x + c * y;
        }
        const va = v[i]!;
        const vb = v[j]!;
        for (let k = 0; k < p; k++) {
          const x = va[k]!;
          const y = vb[k]!;
          va[k] = c * x - s * y;
          vb[k] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (const x of cols[j]!) s += x * x;
    sigma[j] = Math.sqrt(s);
  }
  return { sigma, cols, v };
}

/**
 * The R factor of a Householder QR of the m×k matrix (m ≥ k) given as columns (overwritten),
 * returned as k columns of length k.
 */
export function householderR(cols: Float64Array[], m: number): Float64Array[] {
  const k = cols.length;
  for (let j = 0; j < k; j++) {
    const x = cols[j]!;
    let norm = 0;
    for (let i = j; i < m; i++) norm += x[i]! * x[i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = x[j]! >= 0 ? -norm : norm;
    // v = x[j:] - alpha e_1, kept in x[j:]; vᵀv = 2 norm (norm + |x_j|).
    x[j] = x[j]! - alpha;
    const vv = 2 * norm * (norm + Math.abs(x[j]! + alpha));
    for (let l = j + 1; l < k; l++) {
      const y = cols[l]!;
      let s = 0;
      for (let i = j; i < m; i++) s += x[i]! * y[i]!;
      const f = (2 * s) / vv;
      if (f !== 0) for (let i = j; i < m; i++) y[i]! -= f * x[i]!;
    }
    x[j] = alpha;
    for (let i = j + 1; i < m; i++) x[i] = 0;
  }
  return cols.map((c) => c.slice(0, k));
}

/** Singular values at or below this fraction of the largest count as zero. */
export function rankTolerance(m: number, k: number): number {
  // NumPy's lstsq default (max(m, k)·ε); scipy passes gelsd ε alone. The two decide alike unless
  // a singular value sits within a factor max(m, k) of rounding noise, where no answer is stable.
  return Math.max(m, k) * EPS;
}

export interface LstsqResult {
  /** [k, e] row-major. */
  readonly solution: Float64Array;
  readonly rank: number;
}

/**
 * Minimum-norm solution of A·X ≈ B for A [m, k] and B [m, e], both row-major float64.
 * `refine`, when given, computes Aᵀ(B − A·X) for a candidate X (the caller may have a faster
 * product); m ≥ k systems then get one step of iterative refinement, as the normal equations
 * they are solved through need.
 */
export async function minNormLstsq(
  A: Float64Array,
  m: number,
  k: number,
  B: Float64Array,
  e: number,
  products?: { atb: Float64Array; refine: (x: Float64Array) => Promise<Float64Array> },
): Promise<LstsqResult> {
  const solution = new Float64Array(k * e);
  if (m === 0 || k === 0) return { solution, rank: 0 };
  if (m >= k) {
    // A = Q R, R = U Σ Vᵀ: the minimum-norm solution is V Σ⁺² Vᵀ (Aᵀ B) (= A⁺ B, as AᵀA = V Σ² Vᵀ).
    const cols = Array.from({ length: k }, (_, j) => {
      const c = new Float64Array(m);
      for (let i = 0; i < m; i++) c[i] = A[i * k + j]!;
      return c;
    });
    const svd = jacobiSvd(householderR(cols, m), k);
    const smax = Math.max(...svd.sigma);
    const tol = rankTolerance(m, k) * smax;
    const kept = [...svd.sigma.keys()].filter((j) => svd.sigma[j]! > tol);
    const apply = (g: Float64Array, into: Float64Array): void => {
      for (const j of kept) {
        const vj = svd.v[j]!;
        const w = 1 / (svd.sigma[j]! * svd.sigma[j]!);
        const t = new Float64Array(e);
        for (let i = 0; i < k; i++) {
          const f = vj[i]!;
          if (f !== 0) for (let c = 0; c < e; c++) t[c]! += f * g[i * e + c]!;
        }
        for (let i = 0; i < k; i++) {
          const f = vj[i]! * w;
          if (f !== 0) for (let c = 0; c < e; c++) into[i * e + c]! += f * t[c]!;
        }
      }
    };
    const atb = products?.atb ?? transposeTimes(A, m, k, B, e);
    apply(atb, solution);
    const residual = products ? await products.refine(solution) : transposeTimes(A, m, k, minus(B, times(A, m, k, solution, e)), e);
    const delta = new Float64Array(k * e);
    apply(residual, delta);
    for (let i = 0; i < solution.length; i++) solution[i]! += delta[i]!;
    return { solution, rank: kept.length };
  }
  // m < k: SVD of Aᵀ (k×m): Aᵀ W = M, M_j = σ_j u_j. Then A⁺ B = Σ_j M_j (W_jᵀ B) / σ_j².
  const cols = Array.from({ length: m }, (_, i) => A.slice(i * k, (i + 1) * k));
  const svd = jacobiSvd(cols, k);
  const smax = Math.max(...svd.sigma);
  const tol = rankTolerance(m, k) * smax;
  let rank = 0;
  for (let j = 0; j < m; j++) {
    const s = svd.sigma[j]!;
    if (!(s > tol)) continue;
    rank++;
    const wj = svd.v[j]!;
    const p = new Float64Array(e);
    for (let i = 0; i < m; i++) {
      const f = wj[i]!;
      if (f !== 0) for (let c = 0; c < e; c++) p[c]! += f * B[i * e + c]!;
    }
    const mj = svd.cols[j]!;
    const w = 1 / (s * s);
    for (let i = 0; i < k; i++) {
      const f = mj[i]! * w;
      if (f !== 0) for (let c = 0; c < e; c++) solution[i * e + c]! += f * p[c]!;
    }
  }
  return { solution, rank };
}

function transposeTimes(A: Float64Array, m: number, k: number, B: Float64Array, e: number): Float64Array {
  const out = new Float64Array(k * e);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < k; i++) {
      const a = A[r * k + i]!;
      if (a !== 0) for (let c = 0; c < e; c++) out[i * e + c]! += a * B[r * e + c]!;
    }
  }
  return out;
}

function times(A: Float64Array, m: number, k: number, X: Float64Array, e: number): Float64Array {
  const out = new Float64Array(m * e);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < k; i++) {
      const a = A[r * k + i]!;
      if (a !== 0) for (let c = 0; c < e; c++) out[r * e + c]! += a * X[i * e + c]!;
    }
  }
  return out;
}

function minus(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}
