/**
 * Probe training on the GPU (WebGPU lockstep trainer) against the CPU worker pool: one protocol
 * stage of logistic probes (L2 grid × folds, submitted at once, as the engines do) on seeded
 * synthetic pair features over a sentence store ([|u−v|, u⊙v], SICK/STS-B's scheme), with the
 * `fast` preset's optimizer and schedule. Prints probes/s and the agreement of the two backends'
 * test predictions. The default size is a GenSen pair (4096-d sentences, 8192-d features) on a
 * real GPU and a 100-d bag of words on a software adapter (lavapipe: correct, not fast).
 * Run: node --import tsx scripts/bench-gpu-probes.ts [--dim D] [--pairs N] [--probes P]   (or `npm run bench -- gpu`)
 */
import { cpus } from 'node:os';
import { describeDevice } from '../src/compute/device.js';
import { gpuContext } from '../src/compute/webgpu.js';
import { SentenceStore } from '../src/features/store.js';
import { createWebGpuProbeBackend } from '../src/protocol/gpu-backend.js';
import { probePool, closeProbePool } from '../src/protocol/pool.js';
import type { ProbeBackend } from '../src/protocol/backend.js';
import type { ClassifyJob, ClassifyResult } from '../src/protocol/jobs.js';
import { Rng } from '../src/util/rng.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ctx = await gpuContext();
if (typeof ctx === 'string') {
  console.log(`gpu probes: skipped: ${ctx}`);
  process.exit(0);
}
const soft = ctx.adapter.software;
const dim = arg('dim', soft ? 100 : 4096);
const pairs = arg('pairs', soft ? 2000 : 20000);
const probes = arg('probes', soft ? 8 : 20);
const rng = new Rng(2018, 0);
const sentences = Math.ceil(pairs * 1.2);
const store = SentenceStore.create(sentences, dim);
const block = new Float32Array(dim);
const w = new Float32Array(dim).map(() => rng.uniform(-1, 1));
for (let r = 0; r < sentences; r++) {
  for (let j = 0; j < dim; j++) block[j] = rng.uniform(-1, 1);
  store.setRows(r, block);
}
const a = Int32Array.from({ length: pairs }, () => rng.int(sentences));
const b = Int32Array.from({ length: pairs }, () => rng.int(sentences));
const u = new Float32Array(dim);
const v = new Float32Array(dim);
const y = Int32Array.from({ length: pairs }, (_, i) => {
  store.readRow(a[i]!, u);
  store.readRow(b[i]!, v);
  let s = 0;
  for (let j = 0; j < dim; j++) s += w[j]! * u[j]! * v[j]!;
  return s > 0.5 ? 2 : s > -0.5 ? 1 : 0;
});
const cols = 2 * dim;
const X = { kind: 'pairs' as const, scheme: 'absdiff-prod' as const, store: store.payload, a, b };
const settings = { nhid: 0, dropout: 0, optim: 'rmsprop' as const, batchSize: 128, tenacity: 3, epochSize: 2, maxEpoch: 200, lossReduction: 'mean' as const };

async function stage(backend: ProbeBackend): Promise<{ seconds: number; results: ClassifyResult[] }> {
  const id = backend.register({ X, cols, y });
  const rows = Int32Array.from({ length: pairs }, (_, i) => i);
  const cut = Math.floor(pairs * 0.8);
  const jobs: ClassifyJob[] = Array.from({ length: probes }, (_, k) => ({
    kind: 'classify',
    dataset: id,
    train: rows.subarray(0, cut),
    validation: { split: 0.1 },
    nclasses: 3,
    l2: 10 ** (-5 + (k % 5)),
    seed: 1111 + Math.floor(k / 5),
    settings,
    evals: [rows.subarray(cut)],
  }));
  const t0 = performance.now();
  const results = (await Promise.all(jobs.map((j) => backend.run(j)))) as ClassifyResult[];
  const seconds = (performance.now() - t0) / 1000;
  backend.release(id);
  return { seconds, results };
}

console.log(
  `# gpu probes: ${probes} logistic probes (fast preset: rmsprop, batch 128, epoch-size 2), ${pairs} pairs of ${dim}-d rows → ${cols}-d features, ${cpus().length} CPU cores`,
);
const cpu = await stage(probePool());
await closeProbePool();
const gpuBackend = await createWebGpuProbeBackend();
const gpu = await stage(gpuBackend);
await gpuBackend.close();
let same = 0;
let total = 0;
let epochsCpu = 0;
let epochsGpu = 0;
cpu.results.forEach((c, i) => {
  const g = gpu.results[i]!;
  epochsCpu += c.epochs;
  epochsGpu += g.epochs;
  for (let k = 0; k < c.predictions[0]!.length; k++) {
    total++;
    if (c.predictions[0]![k] === g.predictions[0]![k]) same++;
  }
});
const row = (what: string, r: { seconds: number }, epochs: number): string =>
  `| ${what} | ${r.seconds.toFixed(2)} | ${(probes / r.seconds).toFixed(2)} | ${(epochs / probes).toFixed(1)} |`;
console.log('| backend | seconds | probes/s | mean epochs |');
console.log('|---|---|---|---|');
console.log(row(`CPU pool (${describeDevice(probePool().device)})`, cpu, epochsCpu));
console.log(row(describeDevice(gpuBackend.device), gpu, epochsGpu));
await closeProbePool();
console.log(
  `test predictions agreeing: ${((100 * same) / total).toFixed(2)}% of ${total}; GPU/CPU speed ${(cpu.seconds / gpu.seconds).toFixed(2)}x${soft ? ' (a software adapter: correct, not fast)' : ''}`,
);
