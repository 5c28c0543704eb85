/**
 * What the probe kernels read, counted from the jobs a run actually submitted: the bench wraps
 * the worker pool's `register` and `run` (nothing in src/ changes) and records, per classifier
 * job, its training and validation rows, the eval rows and the epochs and rounds it trained.
 *
 * Bytes per epoch of one probe: every training row's padded float32 features once in the
 * forward pass, from memory — the epoch's rows are a fresh permutation, so nothing of the last
 * epoch is in cache — and once more in the backward pass, which re-reads the 64-row minibatch
 * (1 MiB at 4096-d) while it is still in cache. A validation round reads the dev rows once, and
 * the kept model reads its eval rows once. Weights, gradients and optimizer state (tens of KiB)
 * stay in L1/L2 and are not counted.
 *
 * The CPU pool trains each fold's L2 values in lockstep (src/probe/lockstep.ts): the group reads
 * a minibatch once for all its members, and its dev rows once per round for all, so the group
 * reads what its longest-training member alone reads. `lockstepBytes` counts that.
 */
import { lockstepSupported } from '../src/probe/lockstep.js';
import { firstLayerRows } from '../src/probe/model.js';
import { paddedCols } from '../src/probe/wasm/linear.js';
import { ProbePool } from '../src/protocol/pool.js';
import type { ProbeJob, ProbeResult } from '../src/protocol/jobs.js';

export interface ProbeRecord {
  readonly kind: 'inner' | 'refit' | 'split' | 'relatedness';
  readonly cols: number;
  readonly train: number;
  readonly dev: number;
  readonly evalRows: number;
  readonly epochs: number;
  readonly rounds: number;
  /** Jobs with the same group trained in lockstep (the same training rows object, as the pool groups them). */
  readonly group: number;
  /** Output rows of the first layer, the products the kernels compute per feature row (firstLayerRows). */
  readonly outputs: number;
  /** The MLP's hidden units (0: a linear probe), whose first layer runs on its own kernels. */
  readonly nhid: number;
}

const records: ProbeRecord[] = [];

/** Start recording every job of the shared pool (call before the run). */
export function recordProbeTraffic(): () => readonly ProbeRecord[] {
  const cols = new Map<number, number>();
  const classesOf = new Map<number, number>();
  const relatednessClasses = (dataset: number): number => {
    const c = classesOf.get(dataset);
    if (c === undefined) throw new Error(`probe traffic: relatedness dataset ${dataset} was registered without targets`);
    return c;
  };
  const groups = new WeakMap<Int32Array, number>();
  // Jobs the pool trains in lockstep share a group; others (the MLP) are a group each.
  const groupOf = (train: Int32Array, lockstep: boolean): number => {
    if (!lockstep) return nextGroup++;
    let g = groups.get(train);
    if (g === undefined) {
      g = nextGroup++;
      groups.set(train, g);
    }
    return g;
  };
  let nextGroup = 0;
  const register = ProbePool.prototype.register;
  ProbePool.prototype.register = function (this: ProbePool, d) {
    const id = register.call(this, d);
    cols.set(id, d.cols);
    // The relatedness probe's classes: the width of its target distributions.
    if (d.targets && d.cols > 0) {
      const rows = d.X instanceof Float32Array ? d.X.length / d.cols : d.X.kind === 'dense' ? d.X.X.length / d.cols : d.X.a.length;
      if (rows > 0) classesOf.set(id, d.targets.length / rows);
    }
    return id;
  };
  const run = ProbePool.prototype.run;
  ProbePool.prototype.run = function (this: ProbePool, job: ProbeJob): Promise<ProbeResult> {
    return run.call(this, job).then((r) => {
      const c = cols.get(job.dataset) ?? 0;
      if (job.kind === 'classify' && r.kind === 'classify') {
        const v = job.validation;
        const split = 'split' in v ? Math.trunc(v.split * job.train.length) : 0;
        records.push({
          kind: 'rows' in v ? (job.evals.length === 0 ? 'inner' : 'split') : 'refit',
          cols: c,
          train: job.train.length - split,
          dev: 'rows' in v ? v.rows.length : split,
          evalRows: job.evals.reduce((s, e) => s + e.length, 0),
          epochs: r.epochs,
          rounds: r.rounds,
          group: groupOf(job.train, lockstepSupported(job.settings)),
          outputs: firstLayerRows({ inputDim: c, nhid: job.settings.nhid, nclasses: job.nclasses, dropout: job.settings.dropout }),
          nhid: job.settings.nhid,
        });
      } else if (job.kind === 'relatedness' && r.kind === 'relatedness') {
        records.push({
          kind: 'relatedness',
          cols: c,
          train: job.train.length,
          dev: job.dev.length,
          evalRows: job.test.length,
          epochs: r.epochs,
          rounds: r.rounds,
          group: groupOf(job.train, false),
          outputs: relatednessClasses(job.dataset),
          nhid: 0,
        });
      }
      return r;
    });
  };
  return () => records;
}

/** Bytes of one float32 row as the kernels hold it (paddedCols). */
export const rowBytes = (cols: number): number => paddedCols(cols) * 4;

export interface KindTraffic {
  readonly kind: ProbeRecord['kind'];
  readonly probes: number;
  readonly meanTrain: number;
  /** Forward bytes of one epoch (the mean over these probes). */
  readonly epochBytes: number;
  readonly meanEpochs: number;
  /** Bytes that must come from memory: one forward read per row per epoch, dev and eval rows. */
  readonly memoryBytes: number;
  /** Bytes the kernels read in all: forward and backward (from cache) per epoch, dev and evals. */
  readonly kernelBytes: number;
  /** `memoryBytes` with each lockstep group reading its rows once for all members. */
  readonly lockstepBytes: number;
  /**
   * Multiply-adds of the first layer (the kernels' work): per epoch each training row forward and
   * backward, per round the dev rows forward, the eval rows forward once; padded columns.
   */
  readonly macs: number;
  /** The features' width, and the output rows one kernel pass computes (outputs × lockstep members), of the kind's most common shape. */
  readonly cols: number;
  readonly stackedRows: number;
  /** The MLP's hidden units (0: linear probes), of the kind's most common shape. */
  readonly nhid: number;
}

export function summarise(rs: readonly ProbeRecord[]): KindTraffic[] {
  const kinds = [...new Set(rs.map((r) => r.kind))];
  return kinds.map((kind) => {
    const of = rs.filter((r) => r.kind === kind);
    let train = 0;
    let epochRows = 0;
    let epochs = 0;
    let other = 0;
    let epochBytes = 0;
    let macs = 0;
    for (const r of of) {
      const rb = rowBytes(r.cols);
      macs += (2 * r.epochs * r.train + r.rounds * r.dev + r.evalRows) * (rb / 4) * r.outputs;
      train += r.train;
      epochs += r.epochs;
      epochRows += r.epochs * r.train * rb;
      other += (r.rounds * r.dev + r.evalRows) * rb;
      epochBytes += r.train * rb;
    }
    const byGroup = new Map<number, ProbeRecord[]>();
    for (const r of of) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
    let lockstep = 0;
    for (const g of byGroup.values()) {
      const r = g[0]!;
      const rb = rowBytes(r.cols);
      const epochs = Math.max(...g.map((m) => m.epochs));
      const rounds = Math.max(...g.map((m) => m.rounds));
      lockstep += (epochs * r.train + rounds * r.dev + g.reduce((s, m) => s + m.evalRows, 0)) * rb;
    }
    const first = of[0]!;
    // Members per lockstep group as submitted (the pool may split a lone grid among idle
    // workers, which stacks fewer rows: the floor then uses a slightly higher rate).
    const members = of.length / byGroup.size;
    return {
      kind,
      cols: first.cols,
      stackedRows: Math.round(first.outputs * members),
      nhid: first.nhid,
      probes: of.length,
      lockstepBytes: lockstep,
      meanTrain: train / of.length,
      epochBytes: epochBytes / of.length,
      meanEpochs: epochs / of.length,
      memoryBytes: epochRows + other,
      kernelBytes: 2 * epochRows + other,
      macs,
    };
  });
}
