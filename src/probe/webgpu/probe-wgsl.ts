/**
 * WGSL for training many probes at once. Two kernels share one bind group layout:
 *
 * - `forward`: one workgroup per (probe, minibatch slot). The first layer's dot products are split
 *   over the workgroup's 64 threads and tree-reduced; thread 0 then finishes the (small) rest of
 *   the network: softmax cross-entropy or relatedness's softmax + MSE, and for the MLP the second
 *   layer and its backward pass. In training mode it writes the row's logit gradient (and the MLP's
 *   hidden activations and gradients) to `act`; in eval mode it writes the logits.
 * - `update`: one invocation per (probe, parameter column). It sums the column's gradient over the
 *   minibatch rows (features re-read from the store, so no [batch × d] block is ever written) and
 *   applies the optimizer with coupled L2 in place: Adam or RMSprop, torch's update rules in f32.
 *
 * Features are computed from store rows on the fly, as the CPU's pair sources do: `single` (row a),
 * `absdiff-prod` ([|u−v|, u⊙v]) or `nli` ([u, v, u⊙v, |u−v|]); f32 products and differences round
 * exactly as numpy's float32 batcher output does. The store is split over `chunks` bindings of
 * `rowsPerChunk` rows each, so any store fits the adapter's binding limit.
 *
 * Per step, the CPU writes a table: for each probe a header (row count, loss scale, optimizer
 * step size and bias correction, L2), the minibatch's example ids, and for the MLP its dropout
 * multipliers, drawn from the same streams, in the same order, as the CPU trainer draws them.
 */
import type { FeatureScheme } from '../../features/source.js';
import { ADAM_DEFAULTS, RMSPROP_DEFAULTS, type OptimName } from '../optim.js';

/** A WGSL f32 literal for a double constant (rounded once, when the shader compiles). */
function f32(x: number): string {
  return `${x}f`;
}

export const WG = 64;
/** Words of a probe's header in a step table. */
export const HEADER_WORDS = 8;
/** Bytes between the per-dispatch uniform records (minUniformBufferOffsetAlignment's maximum). */
export const UNIFORM_STRIDE = 256;
/** Workgroups per grid dimension the kernels rely on (WebGPU's guaranteed minimum). */
export const GRID_X = 65535;

export interface ProbeKernelSpec {
  readonly scheme: Exclude<FeatureScheme, 'pair'>;
  /** Store row width and the number of examples (exdata holds a, b, then labels/targets). */
  readonly dim: number;
  readonly examples: number;
  readonly rowsPerChunk: number;
  readonly chunks: number;
  /** Feature columns (dim × blocks). */
  readonly cols: number;
  readonly nhid: number;
  readonly nclasses: number;
  readonly loss: 'ce' | 'mse';
  readonly optim: OptimName;
  readonly dropout: boolean;
}

export function blocks(scheme: ProbeKernelSpec['scheme']): number {
  return scheme === 'nli' ? 4 : scheme === 'single' ? 1 : 2;
}

/** Floats per minibatch row in `act`: gz (C), then for the MLP h (H) and gu (H). */
export function actStride(s: ProbeKernelSpec): number {
  return s.nclasses + 2 * s.nhid;
}

export function paramCountOf(s: ProbeKernelSpec): number {
  return s.nhid === 0 ? s.nclasses * s.cols + s.nclasses : s.nhid * s.cols + s.nhid + s.nclasses * s.nhid + s.nclasses;
}

/** Words per probe in a training step table. */
export function probeWords(s: ProbeKernelSpec, batch: number): number {
  return HEADER_WORDS + batch + (s.dropout ? batch * s.nhid : 0);
}

export function probeShader(s: ProbeKernelSpec): string {
  const { dim: D, cols, nhid: H, nclasses: C } = s;
  const NOUT = H === 0 ? C : H;
  const np = paramCountOf(s);
  const A = actStride(s);
  const stores = Array.from({ length: s.chunks }, (_, c) => `@group(0) @binding(${6 + c}) var<storage, read> S${c}: array<f32>;`).join('\n');
  const cases = Array.from({ length: s.chunks }, (_, c) =>
    c === s.chunks - 1 ? `    default: { return S${c}[o]; }` : `    case ${c}u: { return S${c}[o]; }`,
  ).join('\n');
  const feat =
    s.scheme === 'single'
      ? 'return sval(i32(ex[e]), col);'
      : s.scheme === 'absdiff-prod'
        ? `let blk = col / ${D}u; let j = col % ${D}u;
  let u = sval(i32(ex[e]), j); let v = sval(i32(ex[${s.examples}u + e]), j);
  if (blk == 0u) { return abs(u - v); }
  return u * v;`
        : `let blk = col / ${D}u; let j = col % ${D}u;
  let u = sval(i32(ex[e]), j); let v = sval(i32(ex[${s.examples}u + e]), j);
  if (blk == 0u) { return u; }
  if (blk == 1u) { return v; }
  if (blk == 2u) { return u * v; }
  return abs(u - v);`;
  // Labels (ce) or Tai targets (mse) follow the pair indices in `ex`.
  const lab = 2 * s.examples;
  const head = `
// base: this dispatch's table offset; words: per probe; rows: minibatch slots (or eval rows);
// mode: 0 train, 1 eval; second: where the optimizer's second moments start in opt.
struct Dispatch { base: u32, words: u32, rows: u32, mode: u32, second: u32 }
@group(0) @binding(0) var<uniform> st: Dispatch;
@group(0) @binding(1) var<storage, read> ex: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> opt: array<f32>;
@group(0) @binding(5) var<storage, read_write> act: array<f32>;
${stores}

fn sval(r: i32, j: u32) -> f32 {
  let c = u32(r) / ${s.rowsPerChunk}u;
  let o = (u32(r) % ${s.rowsPerChunk}u) * ${D}u + j;
  switch c {
${cases}
  }
}

fn feat(e: u32, col: u32) -> f32 {
  ${feat}
}
`;
  const lossBlock =
    s.loss === 'ce'
      ? `
    let y = ex[${lab}u + e];
    var zmax = z[0];
    for (var c = 1u; c < ${C}u; c++) { zmax = max(zmax, z[c]); }
    var sum = 0.0;
    for (var c = 0u; c < ${C}u; c++) { sum += exp(z[c] - zmax); }
    for (var c = 0u; c < ${C}u; c++) {
      var g = exp(z[c] - zmax) / sum;
      if (c == y) { g -= 1.0; }
      gz[c] = g * scale;
    }`
      : `
    var zmax = z[0];
    for (var c = 1u; c < ${C}u; c++) { zmax = max(zmax, z[c]); }
    var q: array<f32, ${C}>;
    var sum = 0.0;
    for (var c = 0u; c < ${C}u; c++) { q[c] = exp(z[c] - zmax); sum += q[c]; }
    var dot = 0.0;
    for (var c = 0u; c < ${C}u; c++) {
      q[c] = q[c] / sum;
      let err = q[c] - bitcast<f32>(ex[${lab}u + e * ${C}u + c]);
      gz[c] = 2.0 * err * scale;
      dot += gz[c] * q[c];
    }
    for (var c = 0u; c < ${C}u; c++) { gz[c] = q[c] * (gz[c] - dot); }`;
  const w2 = H * cols + H;
  const b2 = w2 + C * H;
  // The logits: the first layer's outputs, or for the MLP the second layer over its hidden units.
  const logits =
    H === 0
      ? `
    var z: array<f32, ${C}>;
    for (var c = 0u; c < ${C}u; c++) { z[c] = outv[c]; }`
      : `
    var h: array<f32, ${H}>;
    var m: array<f32, ${H}>;
    for (var u = 0u; u < ${H}u; u++) {
      m[u] = 1.0;
      ${s.dropout ? `if (st.mode == 0u) { m[u] = bitcast<f32>(table[pb + ${HEADER_WORDS}u + st.rows + k * ${H}u + u]); }` : ''}
      // Dropout sits before the sigmoid, as in SentEval's MLP: a dropped unit outputs σ(0).
      h[u] = 1.0 / (1.0 + exp(-outv[u] * m[u]));
    }
    var z: array<f32, ${C}>;
    for (var c = 0u; c < ${C}u; c++) {
      var a = params[po + ${b2}u + c];
      for (var u = 0u; u < ${H}u; u++) { a += params[po + ${w2}u + c * ${H}u + u] * h[u]; }
      z[c] = a;
    }`;
  // The MLP's hidden activations and their gradients, for the update kernel's two layers.
  const hiddenBackward =
    H === 0
      ? ''
      : `
    for (var u = 0u; u < ${H}u; u++) {
      var dh = 0.0;
      for (var c = 0u; c < ${C}u; c++) { dh += gz[c] * params[po + ${w2}u + c * ${H}u + u]; }
      act[ao + ${C}u + u] = h[u];
      act[ao + ${C + H}u + u] = dh * h[u] * (1.0 - h[u]) * m[u];
    }`;
  const tail = `${logits}
    if (st.mode == 1u) {
      for (var c = 0u; c < ${C}u; c++) { act[(p * st.rows + k) * ${C}u + c] = z[c]; }
      return;
    }
    var gz: array<f32, ${C}>;
${lossBlock}
    let ao = (p * st.rows + k) * ${A}u;
    for (var c = 0u; c < ${C}u; c++) { act[ao + c] = gz[c]; }${hiddenBackward}`;
  const forward = `
var<workgroup> red: array<f32, ${WG}>;
var<workgroup> outv: array<f32, ${NOUT}>;
var<workgroup> wcount: u32;

@compute @workgroup_size(${WG})
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let k = wid.x + wid.z * ${GRID_X}u;
  let p = wid.y;
  let pb = st.base + p * st.words;
  if (t == 0u) { wcount = table[pb]; }
  let count = workgroupUniformLoad(&wcount);
  if (k >= count) { return; }
  let e = table[pb + ${HEADER_WORDS}u + k];
  let po = p * ${np}u;
  var acc: array<f32, ${NOUT}>;
  for (var j = t; j < ${cols}u; j += ${WG}u) {
    let x = feat(e, j);
    for (var o = 0u; o < ${NOUT}u; o++) { acc[o] += params[po + o * ${cols}u + j] * x; }
  }
  for (var o = 0u; o < ${NOUT}u; o++) {
    red[t] = acc[o];
    workgroupBarrier();
    for (var w = ${WG / 2}u; w > 0u; w >>= 1u) {
      if (t < w) { red[t] += red[t + w]; }
      workgroupBarrier();
    }
    if (t == 0u) { outv[o] = red[0] + params[po + ${NOUT * cols}u + o]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    let scale = bitcast<f32>(table[pb + 1u]);
${tail}
  }
}
`;
  const optimStep =
    s.optim === 'adam'
      ? `
  let m1 = ${f32(ADAM_DEFAULTS.beta1)} * opt[i] + ${f32(1 - ADAM_DEFAULTS.beta1)} * g;
  let m2 = ${f32(ADAM_DEFAULTS.beta2)} * opt[n2 + i] + ${f32(1 - ADAM_DEFAULTS.beta2)} * g * g;
  opt[i] = m1;
  opt[n2 + i] = m2;
  params[i] = pv - (stepSize * m1) / (sqrt(m2) / bc2 + ${f32(ADAM_DEFAULTS.eps)});`
      : `
  let sq = ${f32(RMSPROP_DEFAULTS.alpha)} * opt[i] + ${f32(1 - RMSPROP_DEFAULTS.alpha)} * g * g;
  opt[i] = sq;
  params[i] = pv - (stepSize * g) / (sqrt(sq) + ${f32(RMSPROP_DEFAULTS.eps)});`;
  const ncol = H === 0 ? cols + 1 : cols + 1 + H + 1;
  const update = `
fn apply(i: u32, graw: f32, l2: f32, stepSize: f32, bc2: f32, n2: u32) {
  let pv = params[i];
  let g = graw + l2 * pv;
${optimStep}
}

@compute @workgroup_size(${WG})
fn update(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let p = gid.y;
  if (col >= ${ncol}u) { return; }
  let pb = st.base + p * st.words;
  let count = table[pb];
  if (count == 0u) { return; }
  let stepSize = bitcast<f32>(table[pb + 2u]);
  let bc2 = bitcast<f32>(table[pb + 3u]);
  let l2 = bitcast<f32>(table[pb + 4u]);
  let po = p * ${np}u;
  let ab = p * st.rows * ${A}u;
  let n2 = st.second;
  if (col <= ${cols}u) {
    // Layer 1 (the only layer of a linear probe): column col of W (col == cols: the bias).
    var g: array<f32, ${NOUT}>;
    for (var k = 0u; k < count; k++) {
      var x = 1.0;
      if (col < ${cols}u) { x = feat(table[pb + ${HEADER_WORDS}u + k], col); }
      let ao = ab + k * ${A}u + ${H === 0 ? 0 : C + H}u;
      for (var o = 0u; o < ${NOUT}u; o++) { g[o] += act[ao + o] * x; }
    }
    for (var o = 0u; o < ${NOUT}u; o++) {
      var i = po + ${NOUT * cols}u + o;
      if (col < ${cols}u) { i = po + o * ${cols}u + col; }
      apply(i, g[o], l2, stepSize, bc2, n2);
    }
    return;
  }${
    H === 0
      ? ''
      : `
  // Layer 2: column u of W2 (u == H: its bias), inputs the hidden activations.
  let u = col - ${cols + 1}u;
  var g2: array<f32, ${C}>;
  for (var k = 0u; k < count; k++) {
    let ao = ab + k * ${A}u;
    var x = 1.0;
    if (u < ${H}u) { x = act[ao + ${C}u + u]; }
    for (var c = 0u; c < ${C}u; c++) { g2[c] += act[ao + c] * x; }
  }
  for (var c = 0u; c < ${C}u; c++) {
    var i = po + ${b2}u + c;
    if (u < ${H}u) { i = po + ${w2}u + c * ${H}u + u; }
    apply(i, g2[c], l2, stepSize, bc2, n2);
  }`
  }
}
`;
  return head + forward + update;
}

/** Parameter columns the update kernel covers (one invocation each, per probe). */
export function updateColumns(s: ProbeKernelSpec): number {
  return s.nhid === 0 ? s.cols + 1 : s.cols + 1 + s.nhid + 1;
}
