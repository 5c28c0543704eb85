/**
 * Probe-training throughput: runs the real protocol engines on synthetic data of the tasks' sizes
 * and prints wall time, probes/s, worker count and peak memory.
 *
 *   node --import tsx scripts/bench-probe.ts [--dims 100,4096] [--tasks MR,SUBJ,...] [--workers N] [--nhid H]
 *
 * `--nhid H` trains the MLP probe (SentEval's Linear → Dropout → Sigmoid → Linear) instead of
 * logistic regression; the relatedness tasks ignore it, as SentEval's relatedness trainer does.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { matrix, type Matrix } from '../src/util/matrix.js';
import { Rng } from '../src/util/rng.js';
import { closeProbePool, configureProbePool, runInnerKFold, runKFold, runRelatedness, runSplit, type ProbeSettings } from '../src/protocol/index.js';
import { PRESETS } from '../src/protocol/settings.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// The probe settings of `--config paper` (ProtocolSettings is a superset of ProbeSettings).
const PAPER: ProbeSettings = { ...PRESETS.paper!, nhid: Number(arg('nhid') ?? 0) };

/**
 * Gaussian class clusters with heavy overlap, so that accuracy plateaus below 100% and early
 * stopping behaves as on real sentence features (a separable toy problem would stop at once).
 */
function synth(n: number, d: number, nclasses: number, seed: number): { X: Matrix; y: Int32Array } {
  const rng = new Rng(seed);
  const means = Array.from({ length: nclasses }, () => Float32Array.from({ length: d }, () => rng.normal() * 0.08));
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % nclasses;
    y[i] = c;
    for (let j = 0; j < d; j++) X[i * d + j] = means[c]![j]! + rng.normal() * 0.5;
  }
  return { X: matrix(n, d, X), y };
}

function synthScores(n: number, d: number, seed: number): { X: Matrix; scores: Float64Array } {
  const rng = new Rng(seed);
  const w = Float64Array.from({ length: d }, () => rng.normal() / Math.sqrt(d));
  const X = new Float32Array(n * d);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = rng.normal();
      X[i * d + j] = v;
      s += v * w[j]!;
    }
    scores[i] = Math.min(5, Math.max(1, 3 + s + rng.normal() * 0.7));
  }
  return { X: matrix(n, d, X), scores };
}

type Task = { name: string; run: (d: number) => Promise<{ probes: number; summary: string }> };

let probes = 0;
const count = (done: number): void => {
  probes = Math.max(probes, done);
};

const inner = (name: string, n: number): Task => ({
  name,
  run: async (d) => {
    const { X, y } = synth(n, d, 2, n);
    const r = await runInnerKFold(X, y, 2, PAPER, 1111, count);
    return { probes, summary: `devacc ${r.devacc} acc ${r.acc}` };
  },
});

const TASKS: Task[] = [
  inner('MR', 10662),
  inner('CR', 3775),
  inner('SUBJ', 10000),
  inner('MPQA', 10606),
  {
    name: 'TREC',
    run: async (d) => {
      const all = synth(5452 + 500, d, 6, 7);
      const tr = { X: matrix(5452, d, all.X.data.slice(0, 5452 * d)), y: all.y.slice(0, 5452) };
      const te = { X: matrix(500, d, all.X.data.slice(5452 * d)), y: all.y.slice(5452) };
      const r = await runKFold(tr, te, 6, PAPER, 1111, count);
      return { probes, summary: `devacc ${r.devacc} acc ${r.acc}` };
    },
  },
  {
    name: 'MRPC',
    run: async (d) => {
      const all = synth(4076 + 1725, 2 * d, 2, 8);
      const tr = { X: matrix(4076, 2 * d, all.X.data.slice(0, 4076 * 2 * d)), y: all.y.slice(0, 4076) };
      const te = { X: matrix(1725, 2 * d, all.X.data.slice(4076 * 2 * d)), y: all.y.slice(4076) };
      const r = await runKFold(tr, te, 2, PAPER, 1111, count);
      return { probes, summary: `devacc ${r.devacc} acc ${r.acc}` };
    },
  },
  {
    name: 'SST2',
    run: async (d) => {
      const n = [67349, 872, 1821];
      const all = synth(n[0]! + n[1]! + n[2]!, d, 2, 9);
      const part = (a: number, b: number) => ({ X: matrix(b - a, d, all.X.data.slice(a * d, b * d)), y: all.y.slice(a, b) });
      const r = await runSplit(part(0, n[0]!), part(n[0]!, n[0]! + n[1]!), { test: part(n[0]! + n[1]!, n[0]! + n[1]! + n[2]!) }, 2, PAPER, 1111, {}, count);
      return { probes, summary: `devacc ${r.devacc} acc ${r.acc['test']}` };
    },
  },
  {
    name: 'SICK-E',
    run: async (d) => {
      const n = [4500, 500, 4927];
      const all = synth(n[0]! + n[1]! + n[2]!, 2 * d, 3, 10);
      const D = 2 * d;
      const part = (a: number, b: number) => ({ X: matrix(b - a, D, all.X.data.slice(a * D, b * D)), y: all.y.slice(a, b) });
      const r = await runSplit(part(0, 4500), part(4500, 5000), { test: part(5000, 9927) }, 3, PAPER, 1111, {}, count);
      return { probes, summary: `devacc ${r.devacc} acc ${r.acc['test']}` };
    },
  },
  {
    name: 'SICK-R',
    run: async (d) => {
      const D = 2 * d;
      const all = synthScores(9927, D, 11);
      const part = (a: number, b: number) => ({ X: matrix(b - a, D, all.X.data.slice(a * D, b * D)), scores: all.scores.slice(a, b) });
      const r = await runRelatedness(part(0, 4500), part(4500, 5000), part(5000, 9927), { lossReduction: 'mean' }, 1111, count);
      return { probes, summary: `devcorr ${r.devcorr.toFixed(4)} pearson ${r.pearson.toFixed(4)}` };
    },
  },
  {
    name: 'STS-B',
    run: async (d) => {
      const D = 2 * d;
      const all = synthScores(5749 + 1500 + 1379, D, 12);
      const a = 5749;
      const b = a + 1500;
      const part = (x: number, z: number) => ({ X: matrix(z - x, D, all.X.data.slice(x * D, z * D)), scores: all.scores.slice(x, z) });
      const r = await runRelatedness(part(0, a), part(a, b), part(b, b + 1379), { lossReduction: 'mean' }, 1111, count);
      return { probes, summary: `devcorr ${r.devcorr.toFixed(4)} pearson ${r.pearson.toFixed(4)}` };
    },
  },
];

async function main(): Promise<void> {
  const dims = (arg('dims') ?? '100').split(',').map(Number);
  const wanted = arg('tasks')?.split(',');
  const workers = arg('workers');
  if (workers !== undefined) configureProbePool({ workers: Number(workers) });
  console.log(`cpus ${os.cpus().length}, workers ${workers ?? 'default'}, nhid ${PAPER.nhid}, node ${process.version}`);
  for (const d of dims) {
    let total = 0;
    for (const t of TASKS.filter((t) => !wanted || wanted.includes(t.name))) {
      probes = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = await t.run(d);
      const s = (performance.now() - t0) / 1000;
      // CPU seconds of every thread (workers included): on a shared machine the steadier figure.
      const cu = process.cpuUsage(c0);
      const cpu = (cu.user + cu.system) / 1e6;
      total += s;
      const rss = process.resourceUsage().maxRSS / 1024;
      console.log(
        `d=${d} ${t.name.padEnd(6)} ${s.toFixed(1).padStart(7)} s  cpu ${cpu.toFixed(1)} s  ${r.probes} probes  ${(r.probes / s).toFixed(2)} probes/s  peak RSS ${rss.toFixed(0)} MiB  ${r.summary}`,
      );
    }
    console.log(`d=${d} total ${total.toFixed(1)} s`);
  }
  await closeProbePool();
}

await main();
