/**
 * A small pool of worker threads running probe jobs. Features are registered once per protocol
 * run on SharedArrayBuffers and shared with every worker; jobs carry only row indices.
 * Dispatch waits for the end of the submitting task, so the jobs of one stage are all queued;
 * queued jobs of one L2 grid fold (`lockstepPartners`) then go to one worker together, which
 * trains them in lockstep (each minibatch read once for the whole grid).
 * Workers are unref'ed while idle, so an idle pool never keeps the process alive, and are ref'ed
 * while a job is in flight, so an awaited protocol run keeps it alive.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { lockstepPartners, MAX_JOB_GROUP, runJobs, type DatasetPayload, type ProbeJob, type ProbeResult } from './jobs.js';
import type { ToWorker } from './probe-worker.js';
import type { ProbeBackend } from './backend.js';
import { cpuDevice, type DeviceRecord } from '../compute/device.js';
import { startModuleWorker } from '../util/module-worker.js';
import { releaseWasmLinear } from '../probe/wasm/linear.js';

interface Pending {
  readonly ticket: number;
  readonly job: ProbeJob;
  readonly resolve: (r: ProbeResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current: Pending[] | null;
  readonly known: Set<number>;
}

type FromWorker = { readonly ticket: number; readonly results: ProbeResult[] } | { readonly ticket: number; readonly error: string; readonly stack?: string };

export class ProbePool implements ProbeBackend {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly datasets = new Map<number, DatasetPayload>();
  private nextTicket = 1;
  private nextDataset = 1;
  private closed = false;

  readonly device: DeviceRecord;

  /** `size` 0 runs jobs in-process (on the main thread, one per macrotask). */
  constructor(readonly size: number) {
    this.device = cpuDevice(size);
  }

  get concurrency(): number {
    return Math.max(1, this.size);
  }

  register(d: Omit<DatasetPayload, 'id'>): number {
    const id = this.nextDataset++;
    this.datasets.set(id, { ...d, id });
    return id;
  }

  release(id: number): void {
    this.datasets.delete(id);
    // In process, the kernels are this thread's: let their memory go as a worker does (probe-worker.ts).
    if (this.size === 0 && this.datasets.size === 0) releaseWasmLinear();
    for (const s of this.slots) {
      if (s.known.delete(id)) s.worker.postMessage({ type: 'drop', id } satisfies ToWorker);
    }
  }

  run(job: ProbeJob): Promise<ProbeResult> {
    if (this.closed) return Promise.reject(new Error('probe pool is closed'));
    return new Promise<ProbeResult>((resolve, reject) => {
      this.queue.push({ ticket: this.nextTicket++, job, resolve, reject });
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        queueMicrotask(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  private pumpScheduled = false;

  private takeGroup(idle = 1): Pending[] {
    return takeGroup(this.queue, (a, b) => lockstepPartners(a.job, b.job), idle, MAX_JOB_GROUP);
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('probe pool closed');
    for (const p of this.queue.splice(0)) p.reject(err);
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    if (this.size === 0) {
      this.pumpInProcess();
      return;
    }
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const idle = this.slots.filter((s) => s.current === null).length + (this.size - this.slots.length);
      const group = this.takeGroup(idle);
      const p = group[0]!;
      const ds = this.datasets.get(p.job.dataset);
      if (!ds) {
        for (const g of group) g.reject(new Error(`probe pool: dataset ${p.job.dataset} is not registered`));
        continue;
      }
      if (!slot.known.has(ds.id)) {
        slot.worker.postMessage({ type: 'dataset', dataset: ds } satisfies ToWorker);
        slot.known.add(ds.id);
      }
      slot.current = group;
      slot.worker.ref();
      slot.worker.postMessage({ type: 'jobs', ticket: p.ticket, jobs: group.map((g) => g.job) } satisfies ToWorker);
    }
  }

  private inProcessBusy = false;
  private pumpInProcess(): void {
    if (this.inProcessBusy || this.queue.length === 0) return;
    this.inProcessBusy = true;
    setImmediate(() => {
      const group = this.queue.length > 0 ? this.takeGroup() : [];
      this.inProcessBusy = false;
      if (group.length > 0) {
        try {
          const job = group[0]!.job;
          const ds = this.datasets.get(job.dataset);
          if (!ds) throw new Error(`probe pool: dataset ${job.dataset} is not registered`);
          const results = runJobs(
            group.map((g) => g.job),
            ds,
          );
          group.forEach((g, i) => g.resolve(results[i]!));
        } catch (e) {
          for (const g of group) g.reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
      this.pumpInProcess();
    });
  }

  private spawn(): Slot {
    const worker = startModuleWorker(import.meta.url, 'probe-worker');
    const slot: Slot = { worker, current: null, known: new Set() };
    worker.unref();
    worker.on('message', (msg: FromWorker) => {
      const group = slot.current;
      slot.current = null;
      worker.unref();
      if (!group || group[0]!.ticket !== msg.ticket) throw new Error('probe pool: result for an unknown job');
      if ('error' in msg) {
        const e = new Error(`probe worker: ${msg.error}`);
        if (msg.stack) e.stack = msg.stack;
        for (const p of group) p.reject(e);
      } else group.forEach((p, i) => p.resolve(msg.results[i]!));
      this.pump();
    });
    const fail = (e: Error): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const p of slot.current ?? []) p.reject(e);
      slot.current = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`probe worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }
}

let shared: ProbePool | null = null;
let configuredSize: number | null = null;

/** Number of worker threads the protocols use (0 = in-process). Default: one per CPU, 0 on 1 CPU. */
export function configureProbePool(o: { workers: number }): void {
  if (!Number.isInteger(o.workers) || o.workers < 0) throw new Error(`probe pool: bad worker count ${o.workers}`);
  configuredSize = o.workers;
  if (shared && shared.size !== o.workers) {
    const old = shared;
    shared = null;
    void old.close();
  }
}

export function probePool(): ProbePool {
  if (!shared) {
    const cpus = os.cpus().length;
    shared = new ProbePool(configuredSize ?? (cpus > 1 ? cpus : 0));
  }
  return shared;
}

/** Terminate the worker threads (a later protocol run starts a fresh pool). */
export async function closeProbePool(): Promise<void> {
  const p = shared;
  shared = null;
  if (p) await p.close();
}

/**
 * The queue's first item and its queued lockstep partners (at most `max`), taken off the queue.
 * When they are all that is queued and `idle` workers (the taker included) would otherwise wait,
 * the taker gets only its share and the rest go back to the head of the queue for the others:
 * lockstep saves memory reads, not arithmetic, so four probes on two workers finish sooner as two
 * pairs (SentEval's split tasks queue one grid of four, and nothing else, per seed). Results do
 * not depend on the grouping: a lockstep member is bit-identical to its solo fit.
 */
export function takeGroup<T extends object>(queue: T[], partners: (a: T, b: T) => boolean, idle: number, max: number): T[] {
  const head = queue.shift()!;
  const group = [head];
  for (let i = 0; i < queue.length && group.length < max; ) {
    if (partners(head, queue[i]!)) group.push(...queue.splice(i, 1));
    else i++;
  }
  if (idle > 1 && queue.length === 0 && group.length > 1) {
    const share = Math.ceil(group.length / Math.min(idle, group.length));
    queue.unshift(...group.splice(share));
  }
  return group;
}
