/**
 * The WebGPU probe backend. Jobs submitted in the same macrotask (a protocol stage submits all of
 * its L2 values × folds at once) are grouped by dataset and model shape and trained together by
 * the lockstep trainer: one sequence of dispatches for the whole group. Groups run one after
 * another on the device; datasets are uploaded once, on their first job.
 *
 * Each job keeps the CPU trainer's semantics and random streams (validation split, init, shuffles,
 * dropout); evaluation of the kept model (test predictions, probabilities, relatedness scores) runs
 * on the CPU code the CPU backend uses, from the GPU-trained parameters.
 */
import { GpuUnavailableError, requireGpu, type GpuContext } from '../compute/webgpu.js';
import { UserError } from '../util/errors.js';
import { gpuDevice, type DeviceRecord } from '../compute/device.js';
import { Rng } from '../util/rng.js';
import { EPOCH_STREAM, NUMPY_STREAM, TORCH_STREAM, validationSplit } from '../probe/classifier.js';
import { FastStream } from '../probe/fast-stream.js';
import { expectedScoreOf, initParams, ProbeNet, type ProbeArch } from '../probe/model.js';
import { devCorrelation, expectedScores, RELATEDNESS_SCHEDULE } from '../probe/relatedness.js';
import { uploadDataset, type GpuDataset, type UploadOptions } from '../probe/webgpu/features.js';
import { trainLockstep, type LockstepProbe, type LockstepSettings } from '../probe/webgpu/trainer.js';
import { classifyResult, inputOf, type ClassifyJob, type DatasetPayload, type ProbeJob, type ProbeResult, type RelatednessJob } from './jobs.js';
import type { ProbeBackend } from './backend.js';

const REL = RELATEDNESS_SCHEDULE;
/** Probes per lockstep group at most (more only lengthen each dispatch). */
const MAX_GROUP = 128;

interface Pending {
  readonly job: ProbeJob;
  readonly resolve: (r: ProbeResult) => void;
  readonly reject: (e: Error) => void;
}

interface Registered {
  readonly payload: DatasetPayload;
  gpu: GpuDataset | null;
}

export type WebGpuProbeOptions = UploadOptions;

export class WebGpuProbeBackend implements ProbeBackend {
  readonly device: DeviceRecord;
  /** One job's CPU scratch at a time: training runs on the device, evaluation on this thread. */
  readonly concurrency = 1;
  private readonly datasets = new Map<number, Registered>();
  private pending: Pending[] = [];
  private scheduled = false;
  private tail: Promise<void> = Promise.resolve();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly opts: WebGpuProbeOptions = {},
  ) {
    this.device = gpuDevice(ctx.adapter);
  }

  register(d: Omit<DatasetPayload, 'id'>): number {
    const id = this.nextId++;
    this.datasets.set(id, { payload: { ...d, id }, gpu: null });
    return id;
  }

  release(id: number): void {
    const r = this.datasets.get(id);
    this.datasets.delete(id);
    // Jobs already queued on it hold the record; free the device copy once they are done.
    if (r) this.tail = this.tail.then(() => r.gpu?.destroy());
  }

  run(job: ProbeJob): Promise<ProbeResult> {
    if (this.closed) return Promise.reject(new Error('GPU probe backend is closed'));
    return new Promise<ProbeResult>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    for (const r of this.datasets.values()) r.gpu?.destroy();
    this.datasets.clear();
  }

  private flush(): void {
    this.scheduled = false;
    const groups = new Map<string, Pending[]>();
    for (const p of this.pending.splice(0)) {
      const j = p.job;
      const key = j.kind === 'classify' ? `c ${j.dataset} ${j.nclasses} ${JSON.stringify(j.settings)}` : `r ${j.dataset} ${j.lossReduction} ${j.earlyStopStat}`;
      let g = groups.get(key);
      if (!g) {
        g = [];
        groups.set(key, g);
      }
      g.push(p);
    }
    for (const g of groups.values()) {
      for (let i = 0; i < g.length; i += MAX_GROUP) {
        const part = g.slice(i, i + MAX_GROUP);
        this.tail = this.tail.then(() =>
          this.train(part).catch((e: unknown) => {
            // A device fault (lost, out of memory, a limit) is the user's environment: one line.
            const err = e instanceof GpuUnavailableError ? new UserError(`--device gpu: ${e.message}`) : e instanceof Error ? e : new Error(String(e));
            for (const p of part) p.reject(err);
          }),
        );
      }
    }
  }

  private async train(group: Pending[]): Promise<void> {
    const first = group[0]!.job;
    const reg = this.datasets.get(first.dataset);
    if (!reg) throw new Error(`GPU probes: dataset ${first.dataset} is not registered`);
    reg.gpu ??= uploadDataset(this.ctx, reg.payload, this.opts);
    const ds = reg.payload;
    if (first.kind === 'classify') {
      const jobs = group.map((p) => p.job as ClassifyJob);
      const { probes, arch } = classifyProbes(ds, jobs);
      const s = first.settings;
      const settings: LockstepSettings = { ...s, nclasses: first.nclasses, loss: 'ce' };
      const fits = await trainLockstep(this.ctx, reg.gpu, settings, probes);
      const data = { X: inputOf(ds), cols: ds.cols, y: ds.y! };
      group.forEach((p, i) => {
        const fit = fits[i]!;
        p.resolve(classifyResult(jobs[i]!, data, new ProbeNet(arch, fit.params), fit.stopping.best, fit.stopping));
      });
      return;
    }
    const jobs = group.map((p) => p.job as RelatednessJob);
    const probes = relatednessProbes(ds, jobs);
    const settings: LockstepSettings = {
      nhid: 0,
      nclasses: REL.nclass,
      dropout: 0,
      loss: 'mse',
      optim: 'adam',
      batchSize: REL.batchSize,
      epochSize: REL.epochsPerRound,
      maxEpoch: REL.maxEpoch,
      tenacity: REL.tenacity,
      lossReduction: first.lossReduction,
    };
    const fits = await trainLockstep(this.ctx, reg.gpu, settings, probes);
    const X = { X: inputOf(ds), cols: ds.cols };
    group.forEach((p, i) => {
      const fit = fits[i]!;
      p.resolve({
        kind: 'relatedness',
        devcorr: fit.stopping.best,
        testPredictions: expectedScores(fit.params, X, REL.nclass, jobs[i]!.test),
        rounds: fit.stopping.rounds,
        epochs: fit.stopping.epochs,
      });
    });
  }
}

function classifyProbes(ds: DatasetPayload, jobs: readonly ClassifyJob[]): { probes: LockstepProbe[]; arch: ProbeArch } {
  const y = ds.y;
  if (!y) throw new Error(`dataset ${ds.id} has no labels`);
  const j0 = jobs[0]!;
  const arch: ProbeArch = { inputDim: ds.cols, nhid: j0.settings.nhid, nclasses: j0.nclasses, dropout: j0.settings.dropout };
  const C = j0.nclasses;
  const probes = jobs.map((job): LockstepProbe => {
    let train: Int32Array;
    let dev: Int32Array;
    if ('rows' in job.validation) {
      train = job.train;
      dev = job.validation.rows;
    } else {
      ({ train, dev } = validationSplit(job.train, job.validation.split, new Rng(job.seed, NUMPY_STREAM)));
    }
    if (train.length === 0 || dev.length === 0) throw new Error(`probe: empty ${train.length === 0 ? 'training' : 'validation'} set`);
    const devRows = dev;
    return {
      train,
      dev,
      init: initParams(arch, new Rng(job.seed, TORCH_STREAM)),
      l2: job.l2,
      rng: new FastStream(job.seed, EPOCH_STREAM),
      score(z) {
        let correct = 0;
        for (let k = 0; k < devRows.length; k++) {
          let b = 0;
          for (let c = 1; c < C; c++) if (z[k * C + c]! > z[k * C + b]!) b = c;
          if (b === y[devRows[k]!]) correct++;
        }
        return correct / devRows.length;
      },
    };
  });
  return { probes, arch };
}

function relatednessProbes(ds: DatasetPayload, jobs: readonly RelatednessJob[]): LockstepProbe[] {
  const scores = ds.scores;
  if (!ds.targets || !scores) throw new Error(`dataset ${ds.id} has no relatedness targets`);
  const C = REL.nclass;
  const arch: ProbeArch = { inputDim: ds.cols, nhid: 0, nclasses: C, dropout: 0 };
  return jobs.map((job): LockstepProbe => {
    if (job.train.length === 0 || job.dev.length === 0) throw new Error('relatedness: empty training or dev set');
    const gold = Float64Array.from(job.dev, (r) => scores[r]!);
    return {
      train: job.train,
      dev: job.dev,
      init: initParams(arch, new Rng(job.seed, TORCH_STREAM)),
      l2: 0,
      rng: new FastStream(job.seed, EPOCH_STREAM),
      score(z) {
        // The expected score from the float32 logits, as the CPU computes it from its own.
        return devCorrelation(
          job.earlyStopStat,
          Float64Array.from(gold, (_, k) => expectedScoreOf(z, k * C, C)),
          gold,
        );
      },
    };
  });
}

/** The GPU probe backend on the process's WebGPU device (GpuUnavailableError without one). */
export async function createWebGpuProbeBackend(opts: WebGpuProbeOptions = {}): Promise<WebGpuProbeBackend> {
  return new WebGpuProbeBackend(await requireGpu(), opts);
}
