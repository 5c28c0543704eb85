/**
 * GenSen encoding on the GPU (WebGPU, and onnxruntime's CUDA provider where it can run) against
 * onnxruntime on the CPU: full-size synthetic models
 * (V = 80,004, E = 512, H = 1,024, 1 layer, seeded weights made in memory), one model and two
 * concatenated (a Table 2 row, 4096-d), `last` pooling, batches of 128 in SentEval order (sorted by
 * length) over sentences with MR's length distribution. Both backends encode the same sentences;
 * the largest difference between their vectors is printed too. On a software adapter (lavapipe)
 * the run is cut to one batch: it is a correctness device, not a fast one.
 * Run: node --import tsx scripts/bench-gpu-encoder.ts [--sentences N]   (or `npm run bench -- gpu`)
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GensenEncoder } from '../src/encoders/gensen/encoder.js';
import type { GensenModelData } from '../src/encoders/gensen/model-files.js';
import { describeDevice } from '../src/compute/device.js';
import { gpuContext } from '../src/compute/webgpu.js';
import { cudaProviderProblem } from '../src/compute/ort-cuda.js';
import { pyFileLines, pySplit } from '../src/util/pystr.js';
import { Rng } from '../src/util/rng.js';
import { FULL, syntheticGensen } from '../test/helpers/synthetic-gensen.js';

const BATCH = 128;

/** Word counts of MR's sentences (SentEval splits on whitespace), or a similar fallback. */
function mrLengths(rng: Rng): { lengths: number[]; source: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, here.includes(join('dist', 'scripts')) ? '../..' : '..');
  const dir = process.env['SENTEVAL_DATA'] ?? resolve(root, '..', 'shared', 'senteval-data');
  const files = ['rt-polarity.pos', 'rt-polarity.neg'].map((f) => join(dir, 'MR', f));
  if (files.every(existsSync)) {
    return { lengths: files.flatMap((f) => pyFileLines(readFileSync(f, 'latin1')).map((l) => pySplit(l).length)), source: 'MR rt-polarity' };
  }
  return { lengths: Array.from({ length: 2000 }, () => 5 + rng.int(35)), source: 'uniform 5..39 (MR not found)' };
}

async function encodeAll(enc: GensenEncoder, sents: readonly (readonly string[])[]): Promise<{ seconds: number; vectors: Float32Array }> {
  const dim = enc.identity.dim;
  const out = new Float32Array(sents.length * dim);
  const t0 = performance.now();
  for (let i = 0; i < sents.length; i += BATCH) {
    const { vectors } = await enc.encodeTokens(sents.slice(i, i + BATCH), false);
    out.set(vectors.data, i * dim);
  }
  return { seconds: (performance.now() - t0) / 1000, vectors: out };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

interface Target {
  readonly name: string;
  readonly device: 'gpu' | 'cuda';
  readonly software: boolean;
}

/** The lines to print; `sentences` defaults to 2048 (128 when a software adapter is among the GPUs). */
export async function benchGpuEncoder(opts: { sentences?: number } = {}): Promise<string[]> {
  const lines: string[] = [];
  const threads = cpus().length;
  lines.push(`cpus: ${threads} (${cpus()[0]?.model.trim() ?? '?'})`);
  const targets: Target[] = [];
  const ctx = await gpuContext();
  if (typeof ctx === 'string') lines.push(`webgpu: none (${ctx})`);
  else {
    lines.push(`adapter: ${describeDevice({ kind: 'gpu', api: 'webgpu', ...ctx.adapter })}`);
    targets.push({ name: 'webgpu', device: 'gpu', software: ctx.adapter.software });
  }
  const cuda = await cudaProviderProblem();
  if (cuda === null) targets.push({ name: 'cuda', device: 'cuda', software: false });
  else lines.push(`cuda: none (${cuda})`);
  if (targets.length === 0) return lines;
  const rng = new Rng(1111);
  const { lengths, source } = mrLengths(rng);
  // A software adapter runs a few sentences a second: with one among the targets, one batch for all.
  const software = targets.some((t) => t.software);
  const n = opts.sentences ?? (software ? BATCH : 16 * BATCH);
  const sample = Array.from({ length: n }, () => lengths[rng.int(lengths.length)]!).sort((a, b) => a - b);
  const sents = sample.map((len) => Array.from({ length: len }, () => `w${4 + rng.int(FULL.vocab - 4)}`));
  const mean = sample.reduce((a, b) => a + b, 0) / n;
  lines.push(
    `sentences: ${n}${software && opts.sentences === undefined ? ' (one batch: software adapter)' : ''}, lengths from ${source} ` +
      `(mean ${mean.toFixed(1)} words, max ${Math.max(...sample)}), batches of ${BATCH} in SentEval order, last pooling`,
  );
  const warm = sents.slice(0, 8);
  const models: GensenModelData[] = [syntheticGensen({ ...FULL, layers: 1 }, 1111, 'a'), syntheticGensen({ ...FULL, layers: 1 }, 2222, 'b')];
  for (const set of [models.slice(0, 1), models]) {
    const o = { modelsDir: '.', prefix1: 'a', ...(set.length > 1 ? { prefix2: 'b' } : {}), pool: 'last', maxPool: 'faithful' } as const;
    const cpu = await GensenEncoder.fromModels(set, { ...o, device: 'cpu', tuning: { intraOpThreads: threads } });
    try {
      // Warm-up: pipelines, buffers and ORT's first-run allocations stay out of the timing.
      await cpu.encodeTokens(warm, false);
      const c = await encodeAll(cpu, sents);
      const label = set.length > 1 ? `2 models (${2 * 2 * FULL.hidden}-d)` : `1 model (${2 * FULL.hidden}-d)`;
      for (const t of targets) {
        const enc = await GensenEncoder.fromModels(set, { ...o, device: t.device });
        try {
          await enc.encodeTokens(warm, false);
          const g = await encodeAll(enc, sents);
          lines.push(
            `${label}, V ${FULL.vocab} E ${FULL.embDim} H ${FULL.hidden}: ${t.name} ${(n / g.seconds).toFixed(1)} sentences/s (${g.seconds.toFixed(2)} s), ` +
              `cpu onnxruntime ${threads} threads ${(n / c.seconds).toFixed(1)} sentences/s (${c.seconds.toFixed(2)} s), ` +
              `${t.name}/cpu ${(c.seconds / g.seconds).toFixed(2)}x, max |${t.name} - cpu| ${maxAbsDiff(g.vectors, c.vectors).toExponential(2)}`,
          );
        } finally {
          await enc.close();
        }
      }
    } finally {
      await cpu.close();
    }
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--sentences');
  const sentences = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  for (const l of await benchGpuEncoder(sentences ? { sentences } : {})) console.log(l);
  process.exit(0);
}
