/**
 * Where GenSen's CPU time goes, against this machine's compute floor: one full-size synthetic model
 * (V 80,004, E 512, H 1,024, one layer), sentences with MR's length distribution, batches of 128 in
 * SentEval order, `last` pooling, as the encoder runs them. The pass is timed end to end (the
 * encoder), at the onnxruntime call (GruRunner.run), and inside onnxruntime with its profiler
 * (the same graph and feeds: the Gather of embedding rows, the GRU kernel, the executor). The GRU's
 * matrix products are counted in FLOPs and set against onnxruntime's own GEMM rate on this machine
 * (a large product, and one of the recurrent step's shape), which gives the floor.
 * Run: node dist/scripts/bench-gensen-breakdown.js [--sentences 512] [--threads 2]   (or `npm run bench -- gensen`)
 */
// A benchmark, not the harness: it opens its own profiling sessions (src/compute/onnxruntime.ts has no profiler option).
import * as ort from 'onnxruntime-node';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GensenEncoder } from '../src/encoders/gensen/encoder.js';
import { lengthBuckets } from '../src/encoders/gensen/buckets.js';
import { GruRunner } from '../src/encoders/gensen/gru.js';
import { DEFAULT_INTRA_OP_THREADS } from '../src/compute/onnxruntime.js';
import { buildGensenOnnx } from '../src/encoders/gensen/gru-graph.js';
import { MessageWriter } from '../src/formats/protobuf.js';
import { FLOAT, modelProto, node, tensorProto, valueInfo } from '../src/formats/onnx.js';
import { pyFileLines, pySplit } from '../src/util/pystr.js';
import { Rng } from '../src/util/rng.js';
import { FULL, syntheticGensen } from '../test/helpers/synthetic-gensen.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const N = arg('sentences', 512);
const THREADS = arg('threads', DEFAULT_INTRA_OP_THREADS);
const BATCH = 128;
const { vocab: V, embDim: E, hidden: H } = FULL;
const rng = new Rng(1111);

function mrLengths(): number[] {
  const dir = process.env['SENTEVAL_DATA'] ?? '/work/shared/senteval-data';
  const files = ['rt-polarity.pos', 'rt-polarity.neg'].map((f) => join(dir, 'MR', f));
  if (files.every(existsSync)) return files.flatMap((f) => pyFileLines(readFileSync(f, 'latin1')).map((l) => pySplit(l).length));
  return Array.from({ length: 2000 }, () => 5 + rng.int(35));
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

function sessionOptions(profilePrefix?: string): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  };
}

/** onnxruntime's float32 GEMM rate (FLOP/s, best of 3) for [m,k]·[k,n]. */
async function gemmRate(m: number, k: number, n: number): Promise<number> {
  const g = new MessageWriter();
  g.message(1, node('MatMul', ['A', 'B'], ['C']));
  g.string(2, 'gemm');
  const b = new Float32Array(k * n).map(() => rng.next() - 0.5);
  g.message(5, tensorProto('B', [k, n], b));
  g.message(11, valueInfo('A', FLOAT, [m, k]));
  g.message(12, valueInfo('C', FLOAT, [m, n]));
  const s = await ort.InferenceSession.create(modelProto(g), sessionOptions());
  const a = new ort.Tensor(
    'float32',
    new Float32Array(m * k).map(() => rng.next() - 0.5),
    [m, k],
  );
  await s.run({ A: a });
  let best = Infinity;
  const reps = Math.max(1, Math.round(2e10 / (2 * m * k * n)));
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await s.run({ A: a });
    best = Math.min(best, seconds(t0) / reps);
  }
  await s.release();
  return (2 * m * k * n) / best;
}

async function main(): Promise<void> {
  const lengths = mrLengths();
  const sents = Array.from({ length: N }, () => Array.from({ length: lengths[rng.int(lengths.length)]! }, () => `w${4 + rng.int(V - 4)}`));
  sents.sort((a, b) => a.length - b.length);
  const batches: string[][][] = [];
  for (let i = 0; i < N; i += BATCH) batches.push(sents.slice(i, i + BATCH));
  const model = syntheticGensen({ ...FULL, layers: 1 });
  console.log(
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${THREADS} onnxruntime threads; ${N} sentences (MR lengths, mean ${(sents.reduce((s, x) => s + x.length, 0) / N).toFixed(1)} words), batches of ${BATCH}, one model V ${V}, E ${E}, H ${H}, last pooling`,
  );

  // 1. The encoder end to end, and the time spent inside GruRunner.run (best of 2 passes).
  let inRun = 0;
  const run = GruRunner.prototype.run;
  GruRunner.prototype.run = async function (this: GruRunner, ...a: Parameters<GruRunner['run']>) {
    const t0 = performance.now();
    const r = await run.apply(this, a);
    inRun += seconds(t0);
    return r;
  };
  const enc = await GensenEncoder.fromModels([model], {
    modelsDir: '',
    prefix1: 'synthetic',
    pool: 'last',
    maxPool: 'faithful',
    tuning: { intraOpThreads: THREADS },
  });
  await enc.encodeTokens(batches[0]!, false);
  let total = Infinity;
  let runWall = 0;
  for (let rep = 0; rep < 2; rep++) {
    inRun = 0;
    const t0 = performance.now();
    for (const b of batches) await enc.encodeTokens(b, false);
    const t = seconds(t0);
    if (t < total) {
      total = t;
      runWall = inRun;
    }
  }
  await enc.close();
  GruRunner.prototype.run = run;

  // 2. The same graph and feeds under onnxruntime's profiler: kernel times per op, executor, model_run.
  const dir = mkdtempSync(join(tmpdir(), 'gensen-profile-'));
  let flops = 0;
  const byOp = new Map<string, number>();
  let modelRun = 0;
  try {
    const s = await ort.InferenceSession.create(buildGensenOnnx(model.weights), sessionOptions(join(dir, 'p')));
    const emb = new ort.Tensor('float32', model.weights.tensors.get('src_embedding.weight')!.data, [V, E]);
    for (const batch of batches) {
      const lens = batch.map((t) => t.length + 2);
      for (const chunk of lengthBuckets(lens, BATCH)) {
        const B = chunk.length;
        const T = lens[chunk[0]!]!;
        const ids = new BigInt64Array(T * B).fill(1n);
        const cl = new Int32Array(B);
        chunk.forEach((si, b) => {
          const toks = [0, ...batch[si]!.map((w) => Number(w.slice(1))), 2];
          cl[b] = toks.length;
          toks.forEach((id, t) => (ids[t * B + b] = BigInt(id)));
        });
        // Per direction: the input projection over all steps, and the recurrent product per step.
        flops += 2 * (2 * T * B * E * 3 * H + 2 * T * B * H * 3 * H);
        await s.run({ ids: new ort.Tensor('int64', ids, [T, B]), lens: new ort.Tensor('int32', cl, [B]), emb });
      }
    }
    s.endProfiling();
    await s.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    const events = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
    for (const e of events) {
      if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args?.op_name ?? '?', (byOp.get(e.args?.op_name ?? '?') ?? 0) + e.dur / 1e6);
      if (e.cat === 'Session' && e.name === 'model_run') modelRun += e.dur / 1e6;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 3. This machine's GEMM rate through onnxruntime: a large product, and the recurrent step's shape.
  const peak = await gemmRate(1024, 1024, 3 * H);
  const step = await gemmRate(BATCH, H, 3 * H);

  // The profiled pass is a second pass (the load on a shared machine moves between them): its
  // parts are scaled to the time the timed pass spent in GruRunner.run.
  const kernels = [...byOp.values()].reduce((a, b) => a + b, 0);
  const scale = modelRun > 0 ? runWall / modelRun : 1;
  const gather = (byOp.get('Gather') ?? 0) * scale;
  const gru = (byOp.get('GRU') ?? 0) * scale;
  const gemmAtPeak = flops / peak;
  const rows: [string, number][] = [
    ['JS around onnxruntime (token ids, length buckets, pooling, output copies)', total - runWall],
    ['onnxruntime executor and binding (model_run minus the kernels)', (modelRun - kernels) * scale],
    ['Gather: embedding rows', gather],
    [`GRU kernel: its matrix products at the large-GEMM rate (${(flops / 1e9).toFixed(1)} GFLOP)`, Math.min(gru, gemmAtPeak)],
    ['GRU kernel: the rest (gates, activations, step products below the large-GEMM rate, thread sync)', Math.max(0, gru - gemmAtPeak)],
  ];
  const other = kernels * scale - gather - gru;
  if (other > 1e-4) rows.push(['other kernels', other]);
  console.log(
    `\nonnxruntime GEMM rate on ${THREADS} threads: ${(peak / 1e9).toFixed(1)} GFLOP/s for 1024x1024 x 1024x${3 * H}, ${(step / 1e9).toFixed(1)} GFLOP/s for the step shape ${BATCH}x${H} x ${H}x${3 * H}`,
  );
  console.log(`encoder pass: ${total.toFixed(2)} s for ${N} sentences = ${(N / total).toFixed(0)} sentences/s (one model; a pair is two)`);
  console.log(`${'component'.padEnd(112)}${'seconds'.padEnd(10)}share`);
  for (const [name, s] of rows) console.log(`${name.padEnd(112)}${s.toFixed(3).padEnd(10)}${((100 * s) / total).toFixed(1)}%`);
  console.log(
    `(kernel parts from onnxruntime's profiler on a second pass: model_run ${modelRun.toFixed(2)} s, kernels ${kernels.toFixed(2)} s, scaled x${scale.toFixed(2)} to the timed pass's ${runWall.toFixed(2)} s in GruRunner.run)`,
  );
  console.log(
    `compute floor (every FLOP at the large-GEMM rate): ${gemmAtPeak.toFixed(2)} s = ${(N / gemmAtPeak).toFixed(0)} sentences/s per model; ` +
      `measured ${(N / total).toFixed(0)} sentences/s = ${((100 * gemmAtPeak) / total).toFixed(0)}% of the floor`,
  );

  // 4. A pair (two models, the row's 4096-d vectors): one after the other on this thread with all
  // the threads each, against each on a thread of its own with its share (gru-thread.ts).
  const second = syntheticGensen({ ...FULL, layers: 1 }, 2222, 'synthetic_b');
  const pairRate: string[] = [];
  for (const concurrentModels of [false, true]) {
    const pairEnc = await GensenEncoder.fromModels([model, second], {
      modelsDir: '',
      prefix1: 'synthetic',
      prefix2: 'synthetic_b',
      pool: 'last',
      maxPool: 'faithful',
      tuning: { intraOpThreads: THREADS },
      concurrentModels,
    });
    for (const b of batches) await pairEnc.encodeTokens(b, false); // warm: first runs, the tables sent
    let best = Infinity;
    for (let rep = 0; rep < 2; rep++) {
      const t0 = performance.now();
      for (const b of batches) await pairEnc.encodeTokens(b, false);
      best = Math.min(best, seconds(t0));
    }
    await pairEnc.close();
    pairRate.push(`${concurrentModels ? 'at once, each on its own thread' : 'in turn on one thread'}: ${best.toFixed(2)} s = ${(N / best).toFixed(0)} pairs/s`);
  }
  console.log(`pair of models, ${THREADS} threads in all: ${pairRate.join('; ')}`);
}

await main();
