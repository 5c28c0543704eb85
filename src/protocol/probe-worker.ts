/** Worker side of the probe pool: keeps registered datasets, runs jobs, posts results back. */
import { parentPort } from 'node:worker_threads';
import { runJob, type DatasetPayload, type ProbeJob } from './jobs.js';

export type ToWorker =
  | { readonly type: 'dataset'; readonly dataset: DatasetPayload }
  | { readonly type: 'drop'; readonly id: number }
  | { readonly type: 'job'; readonly ticket: number; readonly job: ProbeJob };

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
      return;
    case 'job': {
      try {
        const ds = datasets.get(msg.job.dataset);
        if (!ds) throw new Error(`probe-worker: unknown dataset ${msg.job.dataset}`);
        const result = runJob(msg.job, ds);
        port.postMessage({ ticket: msg.ticket, result });
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ ticket: msg.ticket, error: err.message, stack: err.stack });
      }
    }
  }
});
