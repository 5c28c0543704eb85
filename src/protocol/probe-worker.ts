/** Worker side of the probe pool: keeps registered datasets, runs jobs, posts results back. */
import { parentPort } from 'node:worker_threads';
import { runJobs, type DatasetPayload, type ProbeJob } from './jobs.js';
import { releaseWasmLinear } from '../probe/wasm/linear.js';

export type ToWorker =
  | { readonly type: 'dataset'; readonly dataset: DatasetPayload }
  | { readonly type: 'drop'; readonly id: number }
  /** Jobs of one lockstep group (or one job), answered together. */
  | { readonly type: 'jobs'; readonly ticket: number; readonly jobs: readonly ProbeJob[] };

const port = parentPort;
if (!port) throw new Error('probe-worker must run in a worker thread');
const datasets = new Map<number, DatasetPayload>();

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'dataset':
      datasets.set(msg.dataset.id, msg.dataset);
      return;
    case 'drop':
      datasets.delete(msg.id);
      // The kernels' memory holds the last task's features; with no dataset left nothing needs it.
      if (datasets.size === 0) releaseWasmLinear();
      return;
    case 'jobs': {
      try {
        const id = msg.jobs[0]!.dataset;
        const ds = datasets.get(id);
        if (!ds) throw new Error(`probe-worker: unknown dataset ${id}`);
        const results = runJobs(msg.jobs, ds);
        port.postMessage({ ticket: msg.ticket, results });
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ ticket: msg.ticket, error: err.message, stack: err.stack });
      }
    }
  }
});
