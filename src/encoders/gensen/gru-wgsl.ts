/**
 * WGSL compute shaders of the GenSen GRU (float32 throughout), generated from a tile shape so one
 * source serves a large-batch and a small-batch variant. Layouts (PyTorch gate order r, z, n):
 * - `WT` [K, 6H]: both directions' input weights, transposed, column d·3H + gate·H + unit;
 * - `RT` [H, 6H]: both directions' recurrent weights, transposed the same way;
 * - `G` [T·B, 6H]: input projections plus b_ih, row t·B + b;
 * - `h` [2, B, H]: the states of both directions.
 * Every dot product sums its terms in index order whatever the tile shape, so a sentence's vector
 * does not depend on the batch it was run in.
 */

/** One workgroup is WX × WY threads; each thread owns RM × RN outputs; K is read KC at a time. */
export interface GemmTile {
  readonly wx: number;
  readonly wy: number;
  readonly rm: number;
  readonly rn: number;
  readonly kc: number;
}

/** Output rows (T·B) per workgroup. */
export const gemmRows = (t: GemmTile): number => t.wy * t.rm;
/** Output columns (6H) per workgroup. */
export const gemmCols = (t: GemmTile): number => t.wx * t.rn;

export const GEMM_LARGE: GemmTile = { wx: 16, wy: 16, rm: 4, rn: 4, kc: 16 };
export const GEMM_SMALL: GemmTile = { wx: 16, wy: 16, rm: 1, rn: 4, kc: 16 };

/** C[n, m] = bias[m] + Σ_k A[n, k] · BT[k, m], in row tiles of gemmRows × gemmCols. */
export function gemmShader(t: GemmTile): string {
  const TM = gemmRows(t);
  const TN = gemmCols(t);
  return /* wgsl */ `
struct P { n: u32, k: u32, m: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> bt: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: P;

const WX = ${t.wx}u;
const WY = ${t.wy}u;
const RM = ${t.rm}u;
const RN = ${t.rn}u;
const KC = ${t.kc}u;
const TM = ${TM}u;
const TN = ${TN}u;
var<workgroup> at: array<f32, ${TM * t.kc}>;
var<workgroup> bs: array<f32, ${t.kc * TN}>;

@compute @workgroup_size(${t.wx}, ${t.wy})
fn main(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) g: vec3u) {
  let row0 = g.y * TM;
  let col0 = g.x * TN;
  let tid = l.y * WX + l.x;
  var acc: array<f32, ${t.rm * t.rn}>;
  for (var k0 = 0u; k0 < p.k; k0 += KC) {
    for (var i = tid; i < TM * KC; i += WX * WY) {
      let r = row0 + i / KC;
      let k = k0 + i % KC;
      var v = 0.0;
      if (r < p.n && k < p.k) { v = a[r * p.k + k]; }
      at[i] = v;
    }
    for (var i = tid; i < KC * TN; i += WX * WY) {
      let k = k0 + i / TN;
      let col = col0 + i % TN;
      var v = 0.0;
      if (k < p.k && col < p.m) { v = bt[k * p.m + col]; }
      bs[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KC; kk++) {
      for (var i = 0u; i < RM; i++) {
        let av = at[(l.y + i * WY) * KC + kk];
        for (var j = 0u; j < RN; j++) {
          acc[i * RN + j] += av * bs[kk * TN + l.x + j * WX];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < RM; i++) {
    let r = row0 + l.y + i * WY;
    for (var j = 0u; j < RN; j++) {
      let col = col0 + l.x + j * WX;
      if (r < p.n && col < p.m) { c[r * p.m + col] = acc[i * RN + j] + bias[col]; }
    }
  }
}
`;
}

/**
 * WX × WY threads; each owns RK units × RB sentences (three gate sums each); H is read KC at a
 * time. `globalR`: recurrent weights are read straight from memory instead of through a workgroup
 * tile — with a handful of sentences a tile is used by one row only, so staging it costs barriers
 * and copies for no reuse.
 */
export interface StepTile {
  readonly wx: number;
  readonly wy: number;
  readonly rk: number;
  readonly rb: number;
  readonly kc: number;
  readonly globalR?: boolean;
}

export const stepUnits = (t: StepTile): number => t.wx * t.rk;
export const stepRows = (t: StepTile): number => t.wy * t.rb;

export const STEP_LARGE: StepTile = { wx: 16, wy: 16, rk: 4, rb: 2, kc: 16 };
export const STEP_SMALL: StepTile = { wx: 64, wy: 1, rk: 1, rb: 4, kc: 32, globalR: true };

const sharedRInner = `
    for (var i = tid; i < KC * 3u * TK; i += WX * WY) {
      let k = c0 + i / (3u * TK);
      let rem = i % (3u * TK);
      let u = k0 + rem % TK;
      var v = 0.0;
      if (k < H && u < H) { v = rt[k * M + dcol + (rem / TK) * H + u]; }
      rs[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KC; kk++) {
      for (var i = 0u; i < RB; i++) {
        let hv = hs[(l.y + i * WY) * KC + kk];
        for (var j = 0u; j < RK; j++) {
          let o = kk * 3u * TK + l.x + j * WX;
          let a = (i * RK + j) * 3u;
          acc[a] += hv * rs[o];
          acc[a + 1u] += hv * rs[o + TK];
          acc[a + 2u] += hv * rs[o + 2u * TK];
        }
      }
    }`;

// Units past H read row 0's weights (any finite value): their sums are never written.
const globalRInner = `
    workgroupBarrier();
    let kend = min(KC, H - c0);
    for (var j = 0u; j < RK; j++) {
      let u = min(k0 + l.x + j * WX, H - 1u);
      for (var kk = 0u; kk < kend; kk++) {
        let o = (c0 + kk) * M + dcol + u;
        let r0 = rt[o];
        let r1 = rt[o + H];
        let r2 = rt[o + 2u * H];
        for (var i = 0u; i < RB; i++) {
          let hv = hs[(l.y + i * WY) * KC + kk];
          let a = (i * RK + j) * 3u;
          acc[a] += hv * r0;
          acc[a + 1u] += hv * r1;
          acc[a + 2u] += hv * r2;
        }
      }
    }`;

/** Bits of the step parameters' `flags`. */
export const FLAG_WRITE_Y = 1;
export const FLAG_MAX = 2;

/** Bytes of the step parameters struct (8 u32). */
export const STEP_PARAM_BYTES = 32;

/**
 * One time step of both directions (workgroup z = direction), gates fused. Sentence b is active
 * while s < len[b]; forward reads position s, backward position len−1−s, so the backward direction
 * starts from the zero state at the sentence's last token. Inactive sentences keep their state
 * (hnext = hprev), so after the last step `h` holds the final states. Active outputs go to
 * y[pos·sp + d·sd + b·sb + unit] (FLAG_WRITE_Y) and into the running max (FLAG_MAX).
 */
export function stepShader(t: StepTile): string {
  const TK = stepUnits(t);
  const TB = stepRows(t);
  return /* wgsl */ `
struct P { s: u32, b: u32, h: u32, t: u32, sp: u32, sd: u32, sb: u32, flags: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> rt: array<f32>;
@group(0) @binding(2) var<storage, read> bhh: array<f32>;
@group(0) @binding(3) var<storage, read> lens: array<u32>;
@group(0) @binding(4) var<storage, read> hprev: array<f32>;
@group(0) @binding(5) var<storage, read_write> hnext: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> mx: array<f32>;
@group(0) @binding(8) var<uniform> p: P;

const WX = ${t.wx}u;
const WY = ${t.wy}u;
const RK = ${t.rk}u;
const RB = ${t.rb}u;
const KC = ${t.kc}u;
const TK = ${TK}u;
const TB = ${TB}u;
var<workgroup> hs: array<f32, ${TB * t.kc}>;
${t.globalR ? '' : `var<workgroup> rs: array<f32, ${t.kc * 3 * TK}>;`}

// Overflow-free forms: exp only ever sees a non-positive argument.
fn sigm(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn tanh_(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let v = (1.0 - e) / (1.0 + e);
  return select(-v, v, x >= 0.0);
}

@compute @workgroup_size(${t.wx}, ${t.wy})
fn main(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let d = wg.z;
  let k0 = wg.x * TK;
  let b0 = wg.y * TB;
  let H = p.h;
  let B = p.b;
  let M = 6u * H;
  let dcol = d * 3u * H;
  let tid = l.y * WX + l.x;
  var acc: array<f32, ${t.rb * t.rk * 3}>;
  for (var c0 = 0u; c0 < H; c0 += KC) {
    for (var i = tid; i < TB * KC; i += WX * WY) {
      let b = b0 + i / KC;
      let k = c0 + i % KC;
      var v = 0.0;
      if (b < B && k < H) { v = hprev[(d * B + b) * H + k]; }
      hs[i] = v;
    }
${t.globalR ? globalRInner : sharedRInner}
    workgroupBarrier();
  }
  for (var i = 0u; i < RB; i++) {
    let b = b0 + l.y + i * WY;
    if (b >= B) { continue; }
    let len = lens[b];
    for (var j = 0u; j < RK; j++) {
      let k = k0 + l.x + j * WX;
      if (k >= H) { continue; }
      let hi = (d * B + b) * H + k;
      let hp = hprev[hi];
      if (p.s >= len) {
        hnext[hi] = hp;
        continue;
      }
      let pos = select(len - 1u - p.s, p.s, d == 0u);
      let gi = (pos * B + b) * M + dcol + k;
      let bi = dcol + k;
      let a = (i * RK + j) * 3u;
      let r = sigm(g[gi] + acc[a] + bhh[bi]);
      let z = sigm(g[gi + H] + acc[a + 1u] + bhh[bi + H]);
      let n = tanh_(g[gi + 2u * H] + r * (acc[a + 2u] + bhh[bi + 2u * H]));
      let hn = (1.0 - z) * n + z * hp;
      hnext[hi] = hn;
      if ((p.flags & ${FLAG_WRITE_Y}u) != 0u) { y[pos * p.sp + d * p.sd + b * p.sb + k] = hn; }
      if ((p.flags & ${FLAG_MAX}u) != 0u) { mx[hi] = select(max(mx[hi], hn), hn, p.s == 0u); }
    }
  }
}
`;
}
