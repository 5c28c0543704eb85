/**
 * The probe kernels' own best rate: multiply-adds per second of one forward and one backward pass
 * (src/probe/wasm/linear.ts) over 64-row minibatches of rows that stay in cache, at a given width
 * and number of stacked output rows, on one core. The bench's compute floor divides a task's
 * multiply-adds by this rate on every core: the time its probes would take if nothing but the
 * kernels ran (no optimizer, no JavaScript, no memory stall).
 */
import { WasmLinear } from '../src/probe/wasm/linear.js';

const cache = new Map<string, number>();

export function kernelRate(cols: number, stackedRows: number, seconds = 0.3): number {
  const key = `${cols}x${stackedRows}`;
  const have = cache.get(key);
  if (have !== undefined) return have;
  const e = WasmLinear.create();
  if (!e) throw new Error('kernel rate: no WebAssembly SIMD');
  const nb = 64;
  const dp = Math.ceil(cols / 8) * 8;
  // Rows for a few minibatches, 256 KiB at most: they stay in L2 between passes.
  const n = Math.max(nb + 1, Math.min(4 * nb, Math.floor((256 * 1024) / (dp * 4))));
  const X = Float32Array.from({ length: n * cols }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  e.bind(X, cols);
  e.reserve(stackedRows, nb);
  e.w.fill(0.01);
  const rows = Int32Array.from({ length: n }, (_, i) => (i * 37) % n);
  let passes = 0;
  const t0 = performance.now();
  let best = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const s = performance.now();
    for (let i = 0; i < 8; i++) {
      const start = ((passes + i) * nb) % (n - nb);
      e.stage(rows, start, nb);
      e.forward(nb, stackedRows);
      e.backward(nb, stackedRows);
    }
    passes += 8;
    best = Math.max(best, (8 * 2 * nb * dp * stackedRows) / ((performance.now() - s) / 1000));
  }
  cache.set(key, best);
  return best;
}
