/**
 * Vocabulary expansion (Kiros et al.'s trick, as gensen.py does it): an ordinary-least-squares map
 * *with intercept* (scikit-learn's `LinearRegression().fit`) from word vectors (GloVe) to a model's
 * word embeddings, fitted over the words both know, then used to embed task words the model lacks.
 *
 * The fit is solved in double precision on centred data: the two big products (XᵀX, XᵀY; tens of
 * GFLOP for 300-d GloVe against a 512-d embedding over ~70k words) run as float64 MatMuls on
 * onnxruntime, the 300×300 system by Cholesky, followed by one step of iterative refinement on the
 * true residual Y − Xβ, which restores the accuracy a QR solve would give for well-conditioned
 * word-vector data (checked against scikit-learn in test/encoders/gensen).
 *
 * When the models and the vectors share no more words than the vector dimension, or the shared
 * vectors are (nearly) linearly dependent, scikit-learn still answers: LAPACK gelsd's
 * minimum-norm least-squares solution. Those fits go through an SVD instead (util/lstsq.ts).
 */
import { createSession, float64Tensor, type OrtSession } from '../compute/onnxruntime.js';
import { UserError } from '../util/errors.js';
import { DOUBLE, modelProto, node, valueInfo } from '../formats/onnx.js';
import { MessageWriter } from '../formats/protobuf.js';
import { minNormLstsq } from '../util/lstsq.js';

export interface LinearMap {
  readonly inDim: number;
  readonly outDim: number;
  /** [inDim, outDim] row-major. */
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
  /** Number of word pairs the map was fitted on. */
  readonly samples: number;
  /** Rank of the centred word vectors (inDim unless the fit took the minimum-norm solution). */
  readonly rank: number;
}

/**
 * Smallest Cholesky pivot ratio trusted for the normal equations; below it (cond(X) beyond about
 * 10^6) the SVD decides the rank as gelsd would.
 */
const MIN_PIVOT_RATIO = 1e-6;

let productSessions: Promise<{ gram: OrtSession; refine: OrtSession }> | undefined;

function sessions(): Promise<{ gram: OrtSession; refine: OrtSession }> {
  productSessions ??= (async () => {
    const g1 = new MessageWriter();
    g1.message(1, node('Transpose', ['X'], ['XT'], [{ name: 'perm', ints: [1, 0] }]));
    g1.message(1, node('MatMul', ['XT', 'X'], ['G']));
    g1.message(1, node('MatMul', ['XT', 'Y'], ['C']));
    g1.string(2, 'gram');
    g1.message(11, valueInfo('X', DOUBLE, ['n', 'd']));
    g1.message(11, valueInfo('Y', DOUBLE, ['n', 'e']));
    g1.message(12, valueInfo('G', DOUBLE, ['d', 'd']));
    g1.message(12, valueInfo('C', DOUBLE, ['d', 'e']));
    const g2 = new MessageWriter();
    g2.message(1, node('MatMul', ['X', 'Beta'], ['P']));
    g2.message(1, node('Sub', ['Y', 'P'], ['R']));
    g2.message(1, node('Transpose', ['X'], ['XT'], [{ name: 'perm', ints: [1, 0] }]));
    g2.message(1, node('MatMul', ['XT', 'R'], ['D']));
    g2.string(2, 'refine');
    g2.message(11, valueInfo('X', DOUBLE, ['n', 'd']));
    g2.message(11, valueInfo('Y', DOUBLE, ['n', 'e']));
    g2.message(11, valueInfo('Beta', DOUBLE, ['d', 'e']));
    g2.message(12, valueInfo('D', DOUBLE, ['d', 'e']));
    const [gram, refine] = await Promise.all([createSession(modelProto(g1)), createSession(modelProto(g2))]);
    return { gram, refine };
  })();
  return productSessions;
}

/** In-place Cholesky G = L Lᵀ (lower triangle); false when G is not (safely) positive definite. */
function cholesky(G: Float64Array, d: number): boolean {
  let maxDiag = 0;
  for (let j = 0; j < d; j++) maxDiag = Math.max(maxDiag, G[j * d + j]!);
  for (let j = 0; j < d; j++) {
    let s = G[j * d + j]!;
    for (let k = 0; k < j; k++) s -= G[j * d + k]! * G[j * d + k]!;
    if (!(s > MIN_PIVOT_RATIO * MIN_PIVOT_RATIO * maxDiag)) return false;
    const ljj = Math.sqrt(s);
    G[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = G[i * d + j]!;
      for (let k = 0; k < j; k++) t -= G[i * d + k]! * G[j * d + k]!;
      G[i * d + j] = t / ljj;
    }
  }
  return true;
}

/** Solves L Lᵀ B = C for B ([d, e], in place in C). */
function cholSolve(L: Float64Array, d: number, C: Float64Array, e: number): void {
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < i; k++) {
      const l = L[i * d + k]!;
      if (l !== 0) for (let c = 0; c < e; c++) C[i * e + c]! -= l * C[k * e + c]!;
    }
    const inv = 1 / L[i * d + i]!;
    for (let c = 0; c < e; c++) C[i * e + c]! *= inv;
  }
  for (let i = d - 1; i >= 0; i--) {
    for (let k = i + 1; k < d; k++) {
      const l = L[k * d + i]!;
      if (l !== 0) for (let c = 0; c < e; c++) C[i * e + c]! -= l * C[k * e + c]!;
    }
    const inv = 1 / L[i * d + i]!;
    for (let c = 0; c < e; c++) C[i * e + c]! *= inv;
  }
}

/**
 * Fits Y ≈ X·coef + intercept by least squares, as scikit-learn's LinearRegression: on centred
 * data, the minimum-norm solution when X is rank-deficient or n ≤ inDim. X: n rows of `inDim`,
 * Y: n rows of `outDim` (float32, row-major).
 */
export async function fitLinearMap(X: Float32Array, Y: Float32Array, n: number, inDim: number, outDim: number): Promise<LinearMap> {
  if (n < 1) {
    throw new UserError('vocabulary expansion: the word vectors and the model vocabulary share no word; cannot fit the regression');
  }
  const xMean = new Float64Array(inDim);
  const yMean = new Float64Array(outDim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < inDim; j++) xMean[j]! += X[i * inDim + j]!;
    for (let j = 0; j < outDim; j++) yMean[j]! += Y[i * outDim + j]!;
  }
  for (let j = 0; j < inDim; j++) xMean[j]! /= n;
  for (let j = 0; j < outDim; j++) yMean[j]! /= n;
  const Xc = new Float64Array(n * inDim);
  const Yc = new Float64Array(n * outDim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < inDim; j++) Xc[i * inDim + j] = X[i * inDim + j]! - xMean[j]!;
    for (let j = 0; j < outDim; j++) Yc[i * outDim + j] = Y[i * outDim + j]! - yMean[j]!;
  }
  let coef: Float64Array;
  let rank = inDim;
  if (n <= inDim) {
    ({ solution: coef, rank } = await minNormLstsq(Xc, n, inDim, Yc, outDim));
  } else {
    const s = await sessions();
    const xT = float64Tensor(Xc, [n, inDim]);
    const yT = float64Tensor(Yc, [n, outDim]);
    const r1 = await s.gram.run({ X: xT, Y: yT });
    const L = Float64Array.from(r1['G']!.data as Float64Array);
    const xty = Float64Array.from(r1['C']!.data as Float64Array);
    const refine = async (beta: Float64Array): Promise<Float64Array> => {
      const r2 = await s.refine.run({ X: xT, Y: yT, Beta: float64Tensor(beta, [inDim, outDim]) });
      return Float64Array.from(r2['D']!.data as Float64Array);
    };
    if (cholesky(L, inDim)) {
      coef = Float64Array.from(xty);
      cholSolve(L, inDim, coef, outDim);
      const delta = await refine(coef);
      cholSolve(L, inDim, delta, outDim);
      for (let i = 0; i < coef.length; i++) coef[i]! += delta[i]!;
    } else {
      ({ solution: coef, rank } = await minNormLstsq(Xc, n, inDim, Yc, outDim, { atb: xty, refine }));
    }
  }
  const intercept = Float64Array.from(yMean);
  for (let j = 0; j < inDim; j++) {
    const m = xMean[j]!;
    for (let c = 0; c < outDim; c++) intercept[c]! -= m * coef[j * outDim + c]!;
  }
  return { inDim, outDim, coef, intercept, samples: n, rank };
}

/** Applies the map to one vector, writing float32 into dest. */
export function applyLinearMap(m: LinearMap, x: ArrayLike<number>, dest: Float32Array, destOffset = 0): void {
  const acc = Float64Array.from(m.intercept);
  for (let j = 0; j < m.inDim; j++) {
    const v = x[j]!;
    if (v === 0) continue;
    const row = j * m.outDim;
    for (let c = 0; c < m.outDim; c++) acc[c]! += v * m.coef[row + c]!;
  }
  for (let c = 0; c < m.outDim; c++) dest[destOffset + c] = acc[c]!;
}
