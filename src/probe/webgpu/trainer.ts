/**
 * Many probes of one dataset trained in lockstep on the GPU: every minibatch step of every probe
 * is two dispatches (forward, gradient + optimizer) over all probes at once, a round of epochs is
 * a few submissions, and each probe's early-stopping state advances on the CPU from one readback
 * of its dev logits per round. The kept (best) models are copied on the device and read back once.
 *
 * Everything random comes from the CPU trainer's streams, drawn in its order: the validation split
 * (numpy stream), the init (torch stream), the epoch shuffles and dropout masks (epoch stream), so a
 * GPU probe differs from its CPU twin only by float32 arithmetic and summation order.
 */
/// <reference types="@webgpu/types" />
import { checked, GpuUnavailableError, type GpuContext } from '../../compute/webgpu.js';
import { EarlyStopper, type EarlyStoppingOutcome } from '../early-stopping.js';
import type { FastStream } from '../fast-stream.js';
import { shuffledInto } from '../fast-stream.js';
import type { LossReduction } from '../model.js';
import { ADAM_DEFAULTS, RMSPROP_DEFAULTS, type OptimName } from '../optim.js';
import type { GpuDataset } from './features.js';
import {
  actStride,
  blocks,
  GRID_X,
  HEADER_WORDS,
  paramCountOf,
  probeShader,
  probeWords,
  UNIFORM_STRIDE,
  updateColumns,
  WG,
  type ProbeKernelSpec,
} from './probe-wgsl.js';

/** One probe of a lockstep group. */
export interface LockstepProbe {
  readonly train: Int32Array;
  readonly dev: Int32Array;
  readonly init: Float64Array;
  readonly l2: number;
  readonly rng: FastStream;
  /** Validation statistic of a round from the dev rows' logits ([dev × C], row-major). */
  score(logits: Float32Array): number;
}

export interface LockstepSettings {
  readonly nhid: number;
  readonly nclasses: number;
  readonly dropout: number;
  readonly loss: 'ce' | 'mse';
  readonly optim: OptimName;
  readonly batchSize: number;
  readonly epochSize: number;
  readonly maxEpoch: number;
  readonly tenacity: number;
  readonly lossReduction: LossReduction;
}

export interface LockstepFit {
  readonly params: Float64Array;
  readonly stopping: EarlyStoppingOutcome;
}

/** Largest step table written per submission (bounded again by the binding limit). */
const TABLE_BYTES = 16 << 20;

const LR: Record<OptimName, number> = { adam: ADAM_DEFAULTS.lr, rmsprop: RMSPROP_DEFAULTS.lr };

interface Kernels {
  readonly layout: GPUBindGroupLayout;
  readonly forward: GPUComputePipeline;
  readonly update: GPUComputePipeline;
}

const kernelCache = new WeakMap<GPUDevice, Map<string, Kernels>>();

function kernels(ctx: GpuContext, spec: ProbeKernelSpec): Kernels {
  let byKey = kernelCache.get(ctx.device);
  if (!byKey) {
    byKey = new Map();
    kernelCache.set(ctx.device, byKey);
  }
  const key = JSON.stringify(spec);
  let k = byKey.get(key);
  if (k) return k;
  const device = ctx.device;
  const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
  const layout = device.createBindGroupLayout({
    label: 'probe kernels',
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      storage(1, 'read-only-storage'),
      storage(2, 'read-only-storage'),
      storage(3, 'storage'),
      storage(4, 'storage'),
      storage(5, 'storage'),
      ...Array.from({ length: spec.chunks }, (_, c) => storage(6 + c, 'read-only-storage')),
    ],
  });
  const module = device.createShaderModule({ label: 'probe kernels', code: probeShader(spec) });
  const pl = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  k = {
    layout,
    forward: device.createComputePipeline({ label: 'probe forward', layout: pl, compute: { module, entryPoint: 'forward' } }),
    update: device.createComputePipeline({ label: 'probe update', layout: pl, compute: { module, entryPoint: 'update' } }),
  };
  byKey.set(key, k);
  return k;
}

/** Per probe: where its epochs stand and its optimizer's step count. */
class ProbeCursor {
  readonly rows: Int32Array;
  pos = 0;
  epochsLeft = 0;
  t = 0;
  constructor(readonly probe: LockstepProbe) {
    this.rows = new Int32Array(probe.train.length);
    this.pos = probe.train.length;
  }
}

export async function trainLockstep(ctx: GpuContext, gds: GpuDataset, s: LockstepSettings, probes: readonly LockstepProbe[]): Promise<LockstepFit[]> {
  const P = probes.length;
  if (P === 0) return [];
  if (gds.cols !== gds.dim * blocks(gds.scheme)) throw new Error(`GPU probes: ${gds.cols} columns for a ${gds.scheme} store of width ${gds.dim}`);
  const spec: ProbeKernelSpec = {
    scheme: gds.scheme,
    dim: gds.dim,
    examples: gds.examples,
    rowsPerChunk: gds.rowsPerChunk,
    chunks: gds.store.length,
    cols: gds.cols,
    nhid: s.nhid,
    nclasses: s.nclasses,
    loss: s.loss,
    optim: s.optim,
    dropout: s.nhid > 0 && s.dropout > 0,
  };
  const np = paramCountOf(spec);
  const B = s.batchSize;
  const C = s.nclasses;
  const H = s.nhid;
  const words = probeWords(spec, B);
  const maxDev = Math.max(...probes.map((p) => p.dev.length));
  const evalWords = HEADER_WORDS + maxDev;
  const bindLimit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const stepBytes = P * words * 4;
  const chunkSteps = Math.max(1, Math.floor(Math.min(TABLE_BYTES, bindLimit) / stepBytes));
  const tableBytes = Math.max(chunkSteps * stepBytes, P * evalWords * 4);
  const actBytes = P * Math.max(B * actStride(spec), maxDev * C) * 4;
  const needs = [
    ['parameters', P * np * 4],
    ['optimizer state', 2 * P * np * 4],
    ['step table', tableBytes],
    ['activations', actBytes],
  ] as const;
  if (P > 1 && needs.some(([, bytes]) => bytes > bindLimit)) {
    // A probe's arithmetic does not depend on its group, so halving a group changes no bits.
    const half = Math.ceil(P / 2);
    return [...(await trainLockstep(ctx, gds, s, probes.slice(0, half))), ...(await trainLockstep(ctx, gds, s, probes.slice(half)))];
  }
  for (const [what, bytes] of needs) {
    if (bytes > bindLimit)
      throw new GpuUnavailableError(
        `GPU probes: the ${what} of one probe need ${bytes} bytes in one binding; the adapter allows ${bindLimit}; use --device cpu`,
      );
  }
  const k = kernels(ctx, spec);
  const device = ctx.device;
  const buf = (label: string, size: number, usage: number): GPUBuffer => device.createBuffer({ label, size: Math.max(16, size), usage });
  const S = GPUBufferUsage;
  const uniforms = buf('probe dispatch', (chunkSteps + 1) * UNIFORM_STRIDE, S.UNIFORM | S.COPY_DST);
  const table = buf('probe table', tableBytes, S.STORAGE | S.COPY_DST);
  const params = buf('probe params', P * np * 4, S.STORAGE | S.COPY_DST | S.COPY_SRC);
  const best = buf('probe best', P * np * 4, S.COPY_DST | S.COPY_SRC);
  const opt = buf('probe optimizer', 2 * P * np * 4, S.STORAGE | S.COPY_DST);
  const act = buf('probe act', actBytes, S.STORAGE | S.COPY_SRC);
  const devRead = buf('probe logits readback', P * maxDev * C * 4, S.MAP_READ | S.COPY_DST);
  const bestRead = buf('probe params readback', P * np * 4, S.MAP_READ | S.COPY_DST);
  const owned = [uniforms, table, params, best, opt, act, devRead, bestRead];
  try {
    return await checked(ctx, 'GPU probes', async () => {
      const init = new Float32Array(P * np);
      probes.forEach((p, i) => init.set(p.init, i * np));
      device.queue.writeBuffer(params, 0, init);
      device.queue.writeBuffer(best, 0, init);
      const bg = device.createBindGroup({
        layout: k.layout,
        entries: [
          { binding: 0, resource: { buffer: uniforms, size: 32 } },
          { binding: 1, resource: { buffer: gds.ex } },
          { binding: 2, resource: { buffer: table } },
          { binding: 3, resource: { buffer: params } },
          { binding: 4, resource: { buffer: opt } },
          { binding: 5, resource: { buffer: act } },
          ...gds.store.map((b, c) => ({ binding: 6 + c, resource: { buffer: b } })),
        ],
      });
      const cursors = probes.map((p) => new ProbeCursor(p));
      const stoppers = probes.map(() => new EarlyStopper(s));
      const tab = new ArrayBuffer(tableBytes);
      const tabU = new Uint32Array(tab);
      const tabF = new Float32Array(tab);
      const uni = new Uint32Array(((chunkSteps + 1) * UNIFORM_STRIDE) / 4);
      const keep = 1 - s.dropout;
      const lr = LR[s.optim];
      const upd = Math.ceil(updateColumns(spec) / WG);

      /** Writes cursor `c`'s next minibatch at word `o`; false once its round's epochs are done. */
      const nextStep = (c: ProbeCursor, o: number): boolean => {
        const n = c.rows.length;
        if (c.pos >= n) {
          if (c.epochsLeft === 0) return false;
          shuffledInto(c.probe.train, c.rows, c.probe.rng);
          c.epochsLeft--;
          c.pos = 0;
        }
        const end = Math.min(c.pos + B, n);
        const cnt = end - c.pos;
        c.t++;
        tabU[o] = cnt;
        tabF[o + 1] = s.lossReduction === 'sum' ? 1 : s.loss === 'mse' ? 1 / (cnt * C) : 1 / cnt;
        if (s.optim === 'adam') {
          tabF[o + 2] = lr / (1 - ADAM_DEFAULTS.beta1 ** c.t);
          tabF[o + 3] = Math.sqrt(1 - ADAM_DEFAULTS.beta2 ** c.t);
        } else {
          tabF[o + 2] = lr;
          tabF[o + 3] = 1;
        }
        tabF[o + 4] = c.probe.l2;
        tabU.set(c.rows.subarray(c.pos, end), o + HEADER_WORDS);
        if (spec.dropout) {
          // The CPU trainer draws each row's unit masks in row order as it meets the row.
          const mo = o + HEADER_WORDS + B;
          for (let r = 0; r < cnt; r++) for (let u = 0; u < H; u++) tabF[mo + r * H + u] = c.probe.rng.next() < keep ? 1 / keep : 0;
        }
        c.pos = end;
        return true;
      };

      const dispatchRecord = (i: number, base: number, w: number, rows: number, mode: number): void => {
        const o = (i * UNIFORM_STRIDE) / 4;
        uni[o] = base;
        uni[o + 1] = w;
        uni[o + 2] = rows;
        uni[o + 3] = mode;
        uni[o + 4] = P * np;
      };

      while (stoppers.some((st) => st.running)) {
        const running = stoppers.map((st) => st.running);
        cursors.forEach((c, i) => {
          c.epochsLeft = running[i] ? s.epochSize : 0;
          c.pos = c.rows.length;
        });
        // Train one round: steps in chunks that fit the table, two dispatches per step.
        for (;;) {
          let steps = 0;
          for (; steps < chunkSteps; steps++) {
            let any = false;
            for (let p = 0; p < P; p++) {
              const o = steps * P * words + p * words;
              // Words past a slot's count are never read, so only an idle slot's count is cleared.
              if (running[p] && nextStep(cursors[p]!, o)) any = true;
              else tabU[o] = 0;
            }
            if (!any) break;
            dispatchRecord(steps, steps * P * words, words, B, 0);
          }
          if (steps === 0) break;
          device.queue.writeBuffer(uniforms, 0, uni, 0, (steps * UNIFORM_STRIDE) / 4);
          device.queue.writeBuffer(table, 0, tabU, 0, steps * P * words);
          const enc = device.createCommandEncoder();
          const pass = enc.beginComputePass();
          for (let i = 0; i < steps; i++) {
            pass.setBindGroup(0, bg, [i * UNIFORM_STRIDE]);
            pass.setPipeline(k.forward);
            pass.dispatchWorkgroups(Math.min(B, GRID_X), P, Math.ceil(B / GRID_X));
            pass.setPipeline(k.update);
            pass.dispatchWorkgroups(upd, P);
          }
          pass.end();
          device.queue.submit([enc.finish()]);
          if (steps < chunkSteps) break;
        }
        // Validate: the dev logits of every running probe, read back once.
        tabU.fill(0, 0, P * evalWords);
        probes.forEach((p, i) => {
          if (!running[i]) return;
          tabU[i * evalWords] = p.dev.length;
          tabU.set(p.dev, i * evalWords + HEADER_WORDS);
        });
        dispatchRecord(chunkSteps, 0, evalWords, maxDev, 1);
        device.queue.writeBuffer(uniforms, chunkSteps * UNIFORM_STRIDE, uni, (chunkSteps * UNIFORM_STRIDE) / 4, 8);
        device.queue.writeBuffer(table, 0, tabU, 0, P * evalWords);
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setBindGroup(0, bg, [chunkSteps * UNIFORM_STRIDE]);
        pass.setPipeline(k.forward);
        pass.dispatchWorkgroups(Math.min(maxDev, GRID_X), P, Math.ceil(maxDev / GRID_X));
        pass.end();
        enc.copyBufferToBuffer(act, 0, devRead, 0, P * maxDev * C * 4);
        device.queue.submit([enc.finish()]);
        await devRead.mapAsync(GPUMapMode.READ);
        const logits = new Float32Array(devRead.getMappedRange().slice(0));
        devRead.unmap();
        if (ctx.lostReason) throw new GpuUnavailableError(ctx.lostReason);
        const copies = device.createCommandEncoder();
        let kept = 0;
        probes.forEach((p, i) => {
          if (!running[i]) return;
          const z = logits.subarray(i * maxDev * C, (i * maxDev + p.dev.length) * C);
          if (stoppers[i]!.record(p.score(z))) {
            copies.copyBufferToBuffer(params, i * np * 4, best, i * np * 4, np * 4);
            kept++;
          }
        });
        if (kept > 0) device.queue.submit([copies.finish()]);
      }
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(best, 0, bestRead, 0, P * np * 4);
      device.queue.submit([enc.finish()]);
      await bestRead.mapAsync(GPUMapMode.READ);
      const kept = new Float32Array(bestRead.getMappedRange().slice(0));
      bestRead.unmap();
      return probes.map((_, i) => ({ params: Float64Array.from(kept.subarray(i * np, (i + 1) * np)), stopping: stoppers[i]!.outcome() }));
    });
  } finally {
    for (const b of owned) b.destroy();
  }
}
