/**
 * This machine's read bandwidth as the probe kernels see it: a WebAssembly SIMD loop that sums a
 * float32 buffer with eight independent f32x4 accumulators (32 floats per iteration), so that
 * neither the adds' latency nor the loop bounds it, over a buffer far larger than the caches (memory) and over a 1 MiB one (what a
 * 64-row minibatch of 4096-d rows occupies, re-read by the backward pass), on 1..N threads at once.
 * Each thread has its own buffer and its own instance; all start together on an Atomics barrier.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { assembleModule, END, F32X4_ADD, forLoop, get, I32_ADD, set, v128Load, v128Store, v128Zero, type KernelModule } from '../src/probe/wasm/assemble.js';

// stream(x, nBytes, out): out[0..16) = Σ over x of eight f32x4 accumulators (nBytes a multiple of 128).
const [X, N, OUT, J, A0] = [0, 1, 2, 3, 4];
const acc = (r: number): number => A0 + r;
const STREAM: KernelModule = {
  params: ['i32', 'i32', 'i32'],
  locals: [
    [1, 'i32'],
    [8, 'v128'],
  ],
  functions: [
    {
      name: 'stream',
      localNames: ['x', 'nBytes', 'out', 'j', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'],
      body: [
        ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((r) => [...v128Zero(), ...set(acc(r))]),
        ...forLoop(
          J,
          N,
          128,
          [0, 1, 2, 3, 4, 5, 6, 7].flatMap((r) => [...get(acc(r)), ...get(X), ...get(J), ...I32_ADD, ...v128Load(16 * r, 0), ...F32X4_ADD, ...set(acc(r))]),
          true,
        ),
        ...get(OUT),
        ...get(acc(0)),
        ...get(acc(1)),
        ...F32X4_ADD,
        ...get(acc(2)),
        ...F32X4_ADD,
        ...get(acc(3)),
        ...F32X4_ADD,
        ...[4, 5, 6, 7].flatMap((r) => [...get(acc(r)), ...F32X4_ADD]),
        ...v128Store(0, 0),
        ...END,
      ],
    },
  ],
};

interface Job {
  readonly bytes: number;
  readonly passes: number;
  readonly barrier: Int32Array;
  readonly threads: number;
  readonly rowBytes: number;
}

const PAGE = 65536;

/** Seconds for `passes` reads of a `bytes` buffer (after one warm-up pass). */
function streamSeconds(bytes: number, passes: number, rowBytes: number, wait?: () => void): number {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((bytes + 64) / PAGE) });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(assembleModule(STREAM)), { env: { mem: memory } });
  const stream = inst.exports['stream'] as (x: number, n: number, out: number) => void;
  new Float32Array(memory.buffer, 64, bytes / 4).fill(1);
  stream(64, bytes, 0);
  wait?.();
  // rowBytes > 0: whole rows of that size in a random order (a probe epoch's access pattern).
  const nRows = rowBytes > 0 ? Math.floor(bytes / rowBytes) : 0;
  const order = Int32Array.from({ length: nRows }, (_, i) => i);
  let seed = 12345;
  for (let i = nRows - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const k = seed % (i + 1);
    [order[i], order[k]] = [order[k]!, order[i]!];
  }
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) {
    if (rowBytes === 0) stream(64, bytes, 0);
    else for (let i = 0; i < nRows; i++) stream(64 + order[i]! * rowBytes, rowBytes, 0);
  }
  return (performance.now() - t0) / 1000;
}

if (!isMainThread) {
  const job = workerData as Job;
  const s = streamSeconds(job.bytes, job.passes, job.rowBytes, () => {
    Atomics.add(job.barrier, 0, 1);
    while (Atomics.load(job.barrier, 0) < job.threads) Atomics.wait(job.barrier, 0, Atomics.load(job.barrier, 0), 1);
  });
  parentPort!.postMessage(s);
}

export interface Bandwidth {
  readonly threads: number;
  /** Aggregate bytes per second over all threads. */
  readonly memory: number;
  /** Aggregate bytes per second reading whole rows of `rowBytes` in a random order. */
  readonly rows: number;
  /** Aggregate bytes per second re-reading a 1 MiB (cache-resident) buffer per thread. */
  readonly cached: number;
}

async function run(threads: number, bytes: number, passes: number, rowBytes = 0): Promise<number> {
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const file = fileURLToPath(import.meta.url);
  const execArgv = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const secs = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((res, rej) => {
          const w = new Worker(file, { workerData: { bytes, passes, barrier, threads, rowBytes } satisfies Job, execArgv });
          w.once('message', (s: number) => {
            res(s);
            void w.terminate();
          });
          w.once('error', rej);
        }),
    ),
  );
  return (threads * bytes * passes) / Math.max(...secs);
}

/**
 * Read bandwidth with 1..maxThreads threads: sequential over `memBytes` per thread, random whole
 * rows of `rowBytes` over the same buffer, and 1 MiB re-read (cache-resident).
 */
export async function measureBandwidth(maxThreads: number, rowBytes: number, memBytes = 256 * 2 ** 20): Promise<Bandwidth[]> {
  const out: Bandwidth[] = [];
  for (let t = 1; t <= maxThreads; t++) {
    const memory = await run(t, memBytes, 8);
    const rows = await run(t, memBytes, 8, rowBytes);
    const cached = await run(t, 2 ** 20, 2000);
    out.push({ threads: t, memory, rows, cached });
  }
  return out;
}
