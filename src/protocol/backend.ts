/**
 * Where probe jobs run. A protocol engine registers its dataset once, submits every job it can
 * (all L2 values × folds of a stage at once, without awaiting one before the next), and awaits
 * the results; a backend is free to run them one per worker thread (the CPU pool) or many probes
 * in one sequence of dispatches (the WebGPU trainer). Jobs are pure functions of their inputs, so a
 * backend never changes which results are produced, only where and in which order sums run.
 */
import type { DeviceRecord } from '../compute/device.js';
import type { DatasetPayload, ProbeJob, ProbeResult } from './jobs.js';

export type { DeviceRecord } from '../compute/device.js';

export interface ProbeBackend {
  /** The hardware this backend trains on. */
  readonly device: DeviceRecord;
  /** Parallel jobs the backend runs at once (memory estimates scale per-job scratch by it). */
  readonly concurrency: number;
  register(d: Omit<DatasetPayload, 'id'>): number;
  release(id: number): void;
  run(job: ProbeJob): Promise<ProbeResult>;
  close(): Promise<void>;
}
