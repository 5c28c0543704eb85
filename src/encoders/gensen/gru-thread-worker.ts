/** Worker side of ThreadedGruRunner (gru-thread.ts): one model's GruRunner, answering its messages in order. */
import { parentPort } from 'node:worker_threads';
import { GruRunner } from './gru.js';
import { maxOverSteps } from './pooling.js';
import type { GruBatchOutput } from './backend.js';
import type { FromGruThread, GruThreadData, ToGruThread } from './gru-thread.js';

const port = parentPort;
if (!port) throw new Error('gru-thread-worker must run in a worker thread');

function failure(e: unknown): { readonly message: string; readonly name: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  return { message: err.message, name: err.name };
}

/**
 * `a` itself when it is the whole of a plain ArrayBuffer (onnxruntime-node's outputs are), so it
 * moves to the main thread without a copy; else a copy that is.
 */
const movable = (a: Float32Array): Float32Array<ArrayBuffer> =>
  a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? (a as Float32Array<ArrayBuffer>) : new Float32Array(a);

/** [2, B, H]: each column's max over t < len, forward then backward (what a fused backend returns as `maxima`). */
function maskedMaxima(out: GruBatchOutput, lens: Int32Array): Float32Array<ArrayBuffer> {
  const { B, H } = out;
  const m = new Float32Array(2 * B * H);
  for (let b = 0; b < B; b++) for (let d = 0; d < 2; d++) maxOverSteps(out.steps!, B, H, b, d, lens[b]!, m, (d * B + b) * H);
  return m;
}

/**
 * The model comes in the first message, not in workerData (which the worker would hold for good):
 * once a task's table replaces the model's own, nothing here keeps the own table (164 MB at full size).
 */
async function serve(init: GruThreadData): Promise<void> {
  const runner = await GruRunner.create(init.weights, init.table, init.tuning, 'input', init.graphs);
  // Messages are handled one at a time, in order: a table swap always lands between two runs.
  let queue = Promise.resolve();
  port!.on('message', (msg: ToGruThread) => {
    queue = queue.then(async () => {
      switch (msg.type) {
        case 'run': {
          try {
            // Max pooling without the states: the masked max is taken here, so that only [2, B, H]
            // floats cross to the main thread instead of the [T, 2, B, H] steps.
            const fuse = msg.opts.maxPool === true && !msg.opts.sequence;
            const out = await runner.run(msg.ids, msg.lens, msg.T, { sequence: msg.opts.sequence || fuse });
            const finals = movable(out.finals);
            const steps = out.steps && !fuse ? movable(out.steps) : undefined;
            const maxima = fuse ? maskedMaxima(out, msg.lens) : undefined;
            const reply: FromGruThread = {
              type: 'result',
              id: msg.id,
              output: { T: out.T, B: out.B, H: out.H, finals, ...(steps ? { steps } : {}), ...(maxima ? { maxima } : {}) },
            };
            port!.postMessage(
              reply,
              [finals.buffer, steps?.buffer, maxima?.buffer].filter((x): x is ArrayBuffer => x !== undefined),
            );
          } catch (e) {
            port!.postMessage({ type: 'error', id: msg.id, ...failure(e) } satisfies FromGruThread);
          }
          return;
        }
        case 'table':
          runner.setEmbedding(msg.table);
          return;
        case 'close':
          await runner.close();
          port!.close();
      }
    });
  });
  port!.postMessage({ type: 'ready' } satisfies FromGruThread);
}

port.once('message', (init: GruThreadData) => {
  serve(init).catch((e: unknown) => port.postMessage({ type: 'error', id: -1, ...failure(e) } satisfies FromGruThread));
});
