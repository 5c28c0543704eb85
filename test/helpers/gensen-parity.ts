/**
 * The GenSen GRU on another device against the onnxruntime CPU path, shared by the WebGPU and the
 * CUDA tests: the committed fixture models (one and two layers, Python 2 vocabularies, two models
 * concatenated, per-task expanded vocabularies), every pooling and the --all-states steps, and
 * runner-level comparisons of finals, steps and maxima.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGensenEncoder } from '../../src/encoders/gensen/factory.js';
import type { GensenEncoder, GensenEncoderOptions } from '../../src/encoders/gensen/encoder.js';
import type { GruBackend, GruBatchOutput } from '../../src/encoders/gensen/backend.js';
import { GruRunner } from '../../src/encoders/gensen/gru.js';
import type { GensenWeights } from '../../src/encoders/gensen/gru-graph.js';
import { describeDevice, type DeviceChoice } from '../../src/compute/device.js';
import { pySplit } from '../../src/util/pystr.js';
import { Rng } from '../../src/util/rng.js';
import type { Matrix } from '../../src/util/matrix.js';
import { repoRoot } from './data.js';
import { maxAbsDiff, worse } from './diff.js';
import { FULL, syntheticGensen } from './synthetic-gensen.js';

export const FIX = join(repoRoot(), 'test', 'fixtures', 'gensen');
export const EXP = join(FIX, 'expected');
/** The issue's bar: within 1e-4 of the CPU path in float32. */
export const TOL = 1e-4;

function fixtureBatches(file: string): string[][] {
  const e = JSON.parse(readFileSync(join(EXP, file), 'utf8')) as { sentences: string[]; batchSize: number };
  const out: string[][] = [];
  for (let i = 0; i < e.sentences.length; i += e.batchSize) out.push(e.sentences.slice(i, i + e.batchSize));
  return out;
}
export const TINY = fixtureBatches('encodings.json');
export const PY2 = fixtureBatches('py2-encodings.json');

export const MODEL_SETS: readonly [string, Pick<GensenEncoderOptions, 'prefix1' | 'prefix2'>, string[][]][] = [
  ['tiny1 (1 layer)', { prefix1: 'tiny1' }, TINY],
  ['tiny2 (2 layers)', { prefix1: 'tiny2' }, TINY],
  ['tiny1+tiny2', { prefix1: 'tiny1', prefix2: 'tiny2' }, TINY],
  ['py2a (1 layer)', { prefix1: 'py2a' }, PY2],
  ['py2b (2 layers)', { prefix1: 'py2b' }, PY2],
  ['py2a+py2b', { prefix1: 'py2a', prefix2: 'py2b' }, PY2],
];

export const EXPANSION_SETS = [
  ['tiny1+tiny2', 'tiny1', 'tiny2', 'tiny_glove.txt', 'utf8'],
  ['py2a+py2b', 'py2a', 'py2b', 'py2-glove6.txt', 'python2'],
] as const;

export async function pair(o: GensenEncoderOptions, device: DeviceChoice): Promise<[GensenEncoder, GensenEncoder]> {
  const cpu = await createGensenEncoder({ ...o, device: 'cpu' });
  const other = await createGensenEncoder({ ...o, device });
  return [cpu, other];
}

/**
 * Every pooling of one model set on `device` within TOL of the CPU, vectors and all states; the
 * vectors without --all-states (fused max on WebGPU, the finals-only graph otherwise) equal, on
 * WebGPU bit for bit, elsewhere within TOL.
 */
export async function poolingParity(
  t: TestContext,
  device: DeviceChoice,
  name: string,
  prefixes: Pick<GensenEncoderOptions, 'prefix1' | 'prefix2'>,
  batches: readonly string[][],
): Promise<void> {
  for (const [pool, maxPool] of [
    ['last', 'faithful'],
    ['max', 'faithful'],
    ['max', 'masked'],
  ] as const) {
    const [cpu, other] = await pair({ modelsDir: FIX, ...prefixes, pool, maxPool }, device);
    try {
      assert.equal(other.computeDevice.kind, 'gpu');
      assert.equal(cpu.computeDevice.kind, 'cpu');
      let worst = 0;
      let worstStates = 0;
      for (const b of batches) {
        const c = await cpu.encodeText(b, true);
        const g = await other.encodeText(b, true);
        worst = worse(worst, maxAbsDiff(c.vectors.data, g.vectors.data));
        assert.deepEqual([...g.states!.lengths], [...c.states!.lengths]);
        c.states!.states.forEach((s, i) => (worstStates = worse(worstStates, maxAbsDiff(s, g.states!.states[i]!))));
        const plain = await other.encodeText(b, false);
        if (device === 'gpu') assert.deepEqual(plain.vectors.data, g.vectors.data);
        else assert.ok(maxAbsDiff(plain.vectors.data, g.vectors.data) <= TOL);
      }
      t.diagnostic(
        `${device} ${name} ${pool}${pool === 'max' ? ` ${maxPool}` : ''}: max abs diff ${worst.toExponential(2)}, states ${worstStates.toExponential(2)}`,
      );
      assert.ok(worst <= TOL, `${pool} ${maxPool}: ${worst}`);
      assert.ok(worstStates <= TOL, `states: ${worstStates}`);
    } finally {
      await cpu.close();
      await other.close();
    }
  }
}

/**
 * tiny1+tiny2 with faithful max pooling in sub-batches of 2 on `device` against PyTorch's vectors:
 * the padding rule follows the caller's batch (a sentence shorter than its batch's longest never
 * pools below zero), not the device's chunk.
 */
export async function faithfulMaxVsPytorch(t: TestContext, device: DeviceChoice): Promise<void> {
  const want = JSON.parse(readFileSync(join(EXP, 'encodings.json'), 'utf8')) as { cases: Record<string, { max: number[][] }> };
  const enc = await createGensenEncoder({ modelsDir: FIX, prefix1: 'tiny1', prefix2: 'tiny2', pool: 'max', maxPool: 'faithful', maxChunk: 2, device });
  try {
    let off = 0;
    let worst = 0;
    let clamped = 0;
    for (const b of TINY) {
      const { vectors } = await enc.encodeText(b);
      const lens = b.map((s) => pySplit(s).length);
      for (let r = 0; r < vectors.rows; r++) {
        const w = want.cases['tiny1+tiny2']!.max[off + r]!;
        for (let c = 0; c < vectors.cols; c++) {
          const v = vectors.data[r * vectors.cols + c]!;
          worst = worse(worst, Math.abs(v - w[c]!));
          if (lens[r]! < Math.max(...lens)) assert.ok(v >= 0, `sentence ${off + r} dim ${c}: ${v} < 0 despite padding`);
          if (v === 0) clamped++;
        }
      }
      off += b.length;
    }
    t.diagnostic(`${device} tiny1+tiny2 faithful max, chunks of 2, vs PyTorch: max abs diff ${worst.toExponential(2)}; ${clamped} values clamped to 0`);
    assert.ok(clamped > 0, 'the fixture exercises the padding rule');
    assert.ok(worst <= 2e-5, `${worst}`);
  } finally {
    await enc.close();
  }
}

/** Per-task expanded vocabularies (MR faithful max, TREC last), then back to the models' own. */
export async function expansionParity(t: TestContext, device: DeviceChoice, set: (typeof EXPANSION_SETS)[number]): Promise<void> {
  const [label, prefix1, prefix2, glove, vocabText] = set;
  const batches = label.startsWith('tiny') ? TINY : PY2;
  const o = { modelsDir: FIX, prefix1, prefix2, pool: 'best', maxPool: 'faithful', glove: join(EXP, glove), senteval: true, vocabText } as const;
  const [cpu, other] = await pair(o, device);
  try {
    const samples = batches.flat().map((s) => pySplit(s));
    for (const task of ['MR', 'TREC']) {
      assert.equal(await other.prepare({ taskId: task, samples }), await cpu.prepare({ taskId: task, samples }));
      let worst = 0;
      for (const b of batches) {
        const toks = b.map((s) => pySplit(s));
        const c: Matrix = await cpu.encode(toks);
        const g: Matrix = await other.encode(toks);
        worst = worse(worst, maxAbsDiff(c.data, g.data));
      }
      t.diagnostic(`${device} ${label} ${task} (${other.pooling}) expanded from ${glove}: max abs diff ${worst.toExponential(2)}`);
      assert.ok(worst <= TOL, `${task}: ${worst}`);
    }
    // Back to the models' own vocabularies: the device gathers from the swapped table too.
    cpu.useOwnVocabulary();
    other.useOwnVocabulary();
    const c = await cpu.encode(batches[0]!.map((s) => pySplit(s)));
    const g = await other.encode(batches[0]!.map((s) => pySplit(s)));
    assert.ok(maxAbsDiff(c.data, g.data) <= TOL);
  } finally {
    await cpu.close();
    await other.close();
  }
}

/** A padded time-major batch: random lengths in 1..T (one of them T), ids below `vocab`, padding 1. */
export function randomBatch(rng: Rng, B: number, T: number, vocab: number): { ids: BigInt64Array; lens: Int32Array } {
  const lens = Int32Array.from({ length: B }, () => 1 + rng.int(T));
  lens[rng.int(B)] = T;
  const ids = new BigInt64Array(T * B).fill(1n);
  for (let b = 0; b < B; b++) for (let t = 0; t < lens[b]!; t++) ids[t * B + b] = BigInt(rng.int(vocab));
  return { ids, lens };
}

/** [2, B, H]: each column's max over t < len of steps [T, 2, B, H], by Math.max (the reference for a fused max). */
export function plainMaxima(steps: Float32Array, B: number, H: number, lens: Int32Array): Float32Array {
  const maxima = new Float32Array(2 * B * H);
  for (let d = 0; d < 2; d++) {
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < H; k++) {
        let m = -Infinity;
        for (let t = 0; t < lens[b]!; t++) m = Math.max(m, steps[((t * 2 + d) * B + b) * H + k]!);
        maxima[(d * B + b) * H + k] = m;
      }
    }
  }
  return maxima;
}

/**
 * Largest differences of finals, steps and, where the other backend fused it, the masked max
 * (computed here from the CPU's steps).
 */
export function compareRuns(c: GruBatchOutput, g: GruBatchOutput, lens: Int32Array): { finals: number; steps: number; maxima: number } {
  const { B, H } = c;
  let maxDiff = 0;
  if (g.maxima) maxDiff = maxAbsDiff(plainMaxima(c.steps!, B, H, lens), g.maxima);
  return { finals: maxAbsDiff(c.finals, g.finals), steps: maxAbsDiff(c.steps!, g.steps!), maxima: maxDiff };
}

/** Steps past each sentence's end are exactly zero, in both directions. */
export function assertZeroPastEnd(r: GruBatchOutput, lens: Int32Array, T: number): void {
  const { B, H } = r;
  for (let b = 0; b < B; b++) {
    for (let s = lens[b]!; s < T; s++) {
      for (let i = 0; i < 2 * H; i++) assert.equal(r.steps![((s * 2 + (i < H ? 0 : 1)) * B + b) * H + (i % H)], 0, `B=${B} b=${b} t=${s}`);
    }
  }
}

/** Both backends of a full-size model (the released shapes) on the same random batches, within TOL. */
export async function fullSizeParity(
  t: TestContext,
  layers: number,
  batches: readonly (readonly [number, number])[],
  makeOther: (w: GensenWeights, emb: Float32Array) => Promise<GruBackend>,
): Promise<void> {
  const m = syntheticGensen({ ...FULL, layers });
  const emb = m.weights.tensors.get('src_embedding.weight')!.data;
  const cpu: GruBackend = await GruRunner.create(m.weights, emb);
  const other = await makeOther(m.weights, emb);
  const rng = new Rng(layers);
  try {
    for (const [B, T] of batches) {
      const { ids, lens } = randomBatch(rng, B, T, FULL.vocab);
      const c = await cpu.run(ids, lens, T, { sequence: true });
      const g = await other.run(ids, lens, T, { sequence: true, maxPool: true });
      const d = compareRuns(c, g, lens);
      t.diagnostic(
        `${describeDevice(other.device)}: full size V=${FULL.vocab} E=${FULL.embDim} H=${FULL.hidden} layers=${layers} B=${B} T=${T}: finals ${d.finals.toExponential(2)}, steps ${d.steps.toExponential(2)}, maxima ${d.maxima.toExponential(2)}`,
      );
      assert.ok(d.finals <= TOL && d.steps <= TOL && d.maxima <= TOL, JSON.stringify(d));
      assertZeroPastEnd(g, lens, T);
    }
  } finally {
    await cpu.close();
    await other.close();
  }
}
