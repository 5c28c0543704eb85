/**
 * The probe kernels' own best rate: multiply-adds per second of one forward and one backward pass
 * (src/probe/wasm/linear.ts; the MLP's first layer: mlp-kernels.ts) over 64-row minibatches of rows that stay in cache, at a given width
 * and number of stacked output rows, on one core. The bench's compute floor divides a task's
 * multiply-adds by this rate on every core: the time its probes would take if nothing but the
 * kernels ran (no optimizer, no JavaScript, no memory stall).
 */
import { paddedCols, WasmLinear } from '../src/probe/wasm/linear.js';

const cache = new Map<string, number>();

/**
 * Best multiply-adds per second of `pass` (one forward and one backward over the staged rows,
 * `macs` of them) on 64-row minibatches of rows that stay in cache, at `cols` columns.
 */
function measure(
  key: string,
  cols: number,
  seconds: number,
  setup: (e: WasmLinear, nb: number) => void,
  pass: (e: WasmLinear, nb: number) => void,
  macsPerRow: number,
): number {
  const have = cache.get(key);
  if (have !== undefined) return have;
  const e = WasmLinear.create();
  if (!e) throw new Error('kernel rate: no WebAssembly SIMD');
  const nb = 64;
  const dp = paddedCols(cols);
  // Rows for a few minibatches, 256 KiB at most: they stay in L2 between passes.
  const n = Math.max(nb + 1, Math.min(4 * nb, Math.floor((256 * 1024) / (dp * 4))));
  const X = Float32Array.from({ length: n * cols }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  e.bind(X, cols);
  setup(e, nb);
  const rows = Int32Array.from({ length: n }, (_, i) => (i * 37) % n);
  let passes = 0;
  const t0 = performance.now();
  let best = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const s = performance.now();
    for (let i = 0; i < 8; i++) {
      const start = ((passes + i) * nb) % (n - nb);
      e.stage(rows, start, nb);
      pass(e, nb);
    }
    passes += 8;
    best = Math.max(best, (8 * 2 * nb * dp * macsPerRow) / ((performance.now() - s) / 1000));
  }
  cache.set(key, best);
  return best;
}

/** The linear kernels' rate with `stackedRows` output rows (logistic probes, lockstep members stacked). */
export function kernelRate(cols: number, stackedRows: number, seconds = 0.3): number {
  return measure(
    `${cols}x${stackedRows}`,
    cols,
    seconds,
    (e, nb) => {
      e.reserve(stackedRows, nb);
      e.w.fill(0.01);
    },
    (e, nb) => {
      // Its few rows stay in cache: the forward that is fastest there (see WasmLinear.forward).
      e.forward(nb, stackedRows, true);
      e.backward(nb, stackedRows);
    },
    stackedRows,
  );
}

/**
 * The MLP's first-layer kernels' rate (hiddenForward and hiddenBackward, mlp-kernels.ts) with
 * `nhid` hidden units, counted as the probe traffic counts them: nhid products per column.
 */
export function mlpKernelRate(cols: number, nhid: number, seconds = 0.3): number {
  return measure(
    `${cols}x${nhid}:mlp`,
    cols,
    seconds,
    (e, nb) => {
      e.reserveMlp(cols, nhid, 2, nb);
      e.w.fill(0.01);
    },
    (e, nb) => {
      e.hiddenForward(nb);
      e.hiddenBackward(nb);
    },
    nhid,
  );
}
