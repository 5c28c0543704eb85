/**
 * The CPU GRU runner (gru.ts) on a thread of its own, so that the two models of a GenSen pair
 * encode at once. onnxruntime-node runs a session synchronously on the thread that calls it, so
 * two sessions on one thread take turns, each splitting its products over all the threads it was
 * given; on the 2-core development machine two one-thread sessions side by side encode 10-15% more
 * sentences per second than the two-thread sessions in turn (`npm run bench -- gensen` prints
 * both). The vectors are the same bits: onnxruntime's CPU GEMM splits a product's rows and
 * columns among its threads, never the sum over k, so a thread count changes no value
 * (test/encoders/gensen/gru-thread.test.ts compares every float).
 *
 * The worker holds its sessions and the current embedding table, sent once per task; the model's
 * own table (164 MB) is sent only when a batch runs before any task table was set (no vocabulary
 * expansion), so under `evaluate` the worker never holds it.
 */
import type { Worker } from 'node:worker_threads';
import type { DeviceRecord } from '../../compute/device.js';
import type { SessionTuning } from '../../compute/onnxruntime.js';
import { UserError } from '../../util/errors.js';
import { startModuleWorker } from '../../util/module-worker.js';
import type { GruBackend, GruBatchOutput, GruRunOptions } from './backend.js';
import { buildGensenOnnx, type GensenWeights } from './gru-graph.js';
import { checkedTable, type PrebuiltGruGraphs } from './gru.js';

export interface GruThreadData {
  /** The shape fields (no tensors: the graphs carry the weights). */
  readonly weights: GensenWeights;
  readonly graphs: Required<PrebuiltGruGraphs>;
  readonly table: Float32Array;
  readonly tuning: SessionTuning;
}

export type ToGruThread =
  | { readonly type: 'run'; readonly id: number; readonly ids: BigInt64Array; readonly lens: Int32Array; readonly T: number; readonly opts: GruRunOptions }
  | { readonly type: 'table'; readonly table: Float32Array }
  | { readonly type: 'close' };

export type FromGruThread =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly output: GruBatchOutput }
  /** id −1: the runner could not be built. */
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly name: string };

interface Pending {
  readonly resolve: (o: GruBatchOutput) => void;
  readonly reject: (e: Error) => void;
}

function rebuilt(name: string, message: string): Error {
  return name === 'UserError' ? new UserError(message) : new Error(`gensen GRU thread: ${message}`);
}

export class ThreadedGruRunner implements GruBackend {
  /** The worker takes the masked max from the steps itself (pooling.ts's loop: the same floats). */
  readonly fusedMaxPool = true;
  readonly ownThread = true;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | null = null;
  private rows: number;
  /** Whether the worker has the current table (the model's own is sent before the first run that needs it). */
  private sent = false;

  private constructor(
    private readonly worker: Worker,
    private readonly weights: GensenWeights,
    private readonly ownTable: Float32Array,
    readonly device: DeviceRecord,
  ) {
    this.rows = ownTable.length / weights.embDim;
    worker.on('message', (msg: FromGruThread) => {
      if (msg.type === 'ready') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (msg.type === 'result') p.resolve(msg.output);
      else p.reject(rebuilt(msg.name, msg.message));
    });
    worker.on('error', (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', () => this.fail(new Error('gensen GRU thread: the worker exited')));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** The model on a new thread, its session built (and any failure thrown) before this returns. */
  static async create(w: GensenWeights, table: Float32Array, tuning: SessionTuning, device: DeviceRecord): Promise<ThreadedGruRunner> {
    checkedTable(table, w.embDim);
    // The graphs are serialised here and moved, not copied: what the worker allocates stays in its
    // own allocator's arena for good, so it should allocate only its sessions. The table it gets
    // is a one-row stand-in (the graph takes the table as an input).
    const graphs = { finals: buildGensenOnnx(w, { withSequenceOutput: false }), steps: buildGensenOnnx(w, { withSequenceOutput: true }) };
    const shape: GensenWeights = { vocabSize: w.vocabSize, embDim: w.embDim, hidden: w.hidden, layers: w.layers, tensors: new Map() };
    const worker = startModuleWorker(import.meta.url, 'gru-thread-worker');
    const data: GruThreadData = { weights: shape, graphs, table: new Float32Array(w.embDim), tuning };
    worker.postMessage(data, [graphs.finals.buffer as ArrayBuffer, graphs.steps.buffer as ArrayBuffer]);
    await new Promise<void>((resolve, reject) => {
      const done = (msg: FromGruThread): void => {
        worker.off('message', done);
        worker.off('error', reject);
        if (msg.type === 'error') reject(rebuilt(msg.name, msg.message));
        else resolve();
      };
      worker.on('message', done);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`gensen GRU thread: the worker exited (code ${code}) before its sessions were built`)));
    }).catch(async (e: unknown) => {
      await worker.terminate();
      throw e;
    });
    worker.unref();
    return new ThreadedGruRunner(worker, w, table, device);
  }

  get hidden(): number {
    return this.weights.hidden;
  }

  get embDim(): number {
    return this.weights.embDim;
  }

  get vocabRows(): number {
    return this.rows;
  }

  setEmbedding(e: Float32Array): void {
    checkedTable(e, this.weights.embDim);
    this.rows = e.length / this.weights.embDim;
    // Moved in a copy: postMessage's structured clone of a large array is far slower than one copy
    // (the first batch after the model's own table took 1.5 s instead of 0.15 s).
    const table = new Float32Array(e);
    this.worker.postMessage({ type: 'table', table } satisfies ToGruThread, [table.buffer]);
    this.sent = true;
  }

  run(ids: BigInt64Array, lens: Int32Array, T: number, opts: GruRunOptions): Promise<GruBatchOutput> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.sent) this.setEmbedding(this.ownTable);
    const id = this.nextId++;
    return new Promise<GruBatchOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ type: 'run', id, ids, lens, T, opts: { sequence: opts.sequence, maxPool: opts.maxPool === true } } satisfies ToGruThread);
    });
  }

  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage({ type: 'close' } satisfies ToGruThread);
    await exited;
  }
}
