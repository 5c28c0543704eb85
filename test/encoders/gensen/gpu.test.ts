/**
 * The GenSen GRU on WebGPU against the onnxruntime CPU path: every committed fixture model (one and
 * two layers, Python 2 vocabularies, two models concatenated, per-task expanded vocabularies),
 * every pooling (last, faithful max with its padding rule, masked max) and the --all-states steps,
 * within 1e-4; batch splitting and readback rounds; the released models' full shapes.
 * Runs on lavapipe (a CPU Vulkan) in CI, so the models are small or the batches few.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createGensenEncoder } from '../../../src/encoders/gensen/factory.js';
import { GensenEncoder } from '../../../src/encoders/gensen/encoder.js';
import { loadGensenModel, type GensenModelData } from '../../../src/encoders/gensen/model-files.js';
import { GruRunner } from '../../../src/encoders/gensen/gru.js';
import { WebGpuGruRunner } from '../../../src/encoders/gensen/gru-webgpu.js';
import type { GruBackend } from '../../../src/encoders/gensen/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { maxAbsDiff } from '../../helpers/diff.js';
import { needGpu } from '../../helpers/gpu.js';
import {
  assertZeroPastEnd,
  compareRuns,
  EXPANSION_SETS,
  expansionParity,
  faithfulMaxVsPytorch,
  FIX,
  fullSizeParity,
  MODEL_SETS,
  pair,
  poolingParity,
  randomBatch,
  TOL,
} from '../../helpers/gensen-parity.js';
import { FULL, syntheticGensen, syntheticSentences } from '../../helpers/synthetic-gensen.js';

for (const [name, prefixes, batches] of MODEL_SETS) {
  test(`gpu: ${name}: last, faithful max, masked max and all states within ${TOL} of the CPU`, async (t) => {
    if (!(await needGpu(t))) return;
    await poolingParity(t, 'gpu', name, prefixes, batches);
  });
}

test('gpu: faithful max pooling pads to the caller batch, not to the GPU chunk; vectors match PyTorch', async (t) => {
  if (!(await needGpu(t))) return;
  await faithfulMaxVsPytorch(t, 'gpu');
});

for (const set of EXPANSION_SETS) {
  test(`gpu: ${set[0]} with expanded task vocabularies (${set[3]}): MR (faithful max) and TREC (last) within ${TOL} of the CPU`, async (t) => {
    if (!(await needGpu(t))) return;
    await expansionParity(t, 'gpu', set);
  });
}

test('gpu: the identity says device gpu; the CPU identity is unchanged; auto picks a hardware adapter, never a software one', async (t) => {
  if (!(await needGpu(t))) return;
  const o = { modelsDir: FIX, prefix1: 'tiny1', pool: 'last', maxPool: 'faithful' } as const;
  const plain = await createGensenEncoder(o);
  const [cpu, gpu] = await pair(o, 'gpu');
  const auto = await createGensenEncoder({ ...o, device: 'auto' });
  try {
    assert.deepEqual(cpu.identity, plain.identity);
    assert.equal('device' in cpu.identity.params, false);
    assert.deepEqual(gpu.identity, { ...cpu.identity, params: { ...cpu.identity.params, device: 'gpu' } });
    // Issue 28: a software adapter (lavapipe) is ~100x slower than the CPU path, so auto passes it over.
    const software = gpu.computeDevice.kind === 'gpu' && gpu.computeDevice.software;
    assert.deepEqual(auto.identity, software ? cpu.identity : gpu.identity);
    assert.equal(auto.computeDevice.kind, software ? 'cpu' : 'gpu');
    assert.equal(gpu.batchIndependent, cpu.batchIndependent);
  } finally {
    for (const e of [plain, cpu, gpu, auto]) await e.close();
  }
});

test("gpu: batches split into chunks and readback rounds give the CPU runner's finals, steps and maxima", async (t) => {
  if (!(await needGpu(t))) return;
  const rng = new Rng(42);
  for (const prefix of ['tiny1', 'tiny2']) {
    const m = await loadGensenModel(FIX, prefix);
    const emb = m.weights.tensors.get('src_embedding.weight')!.data;
    const cpu = await GruRunner.create(m.weights, emb);
    // A 6 KiB scratch cap: at most a few sentences per chunk; a 2 KiB readback cap: several rounds.
    const small = await WebGpuGruRunner.create(m.weights, emb, { scratchCap: 6 * 1024, readbackCap: 2 * 1024 });
    const plain = await WebGpuGruRunner.create(m.weights, emb);
    try {
      for (const [B, T] of [
        [1, 1],
        [3, 9],
        [37, 12],
        [300, 5],
      ] as const) {
        const { ids, lens } = randomBatch(rng, B, T, m.weights.vocabSize);
        const c = await cpu.run(ids, lens, T, { sequence: true });
        for (const g of [small, plain]) {
          const r = await g.run(ids, lens, T, { sequence: true, maxPool: true });
          const d = compareRuns(c, r, lens);
          t.diagnostic(
            `${prefix} B=${B} T=${T} ${g === small ? 'split' : 'whole'}: finals ${d.finals.toExponential(2)}, steps ${d.steps.toExponential(2)}, maxima ${d.maxima.toExponential(2)}`,
          );
          assert.ok(d.finals <= TOL && d.steps <= TOL && d.maxima <= TOL, JSON.stringify(d));
          assertZeroPastEnd(r, lens, T);
          const f = await g.run(ids, lens, T, { sequence: false });
          assert.deepEqual(f.finals, r.finals);
          assert.equal(f.steps, undefined);
        }
      }
    } finally {
      await cpu.close();
      await small.close();
      await plain.close();
    }
  }
});

test('gpu: an id outside the table and a lost Dawn instance are caught (the instance survives garbage collection)', async (t) => {
  if (!(await needGpu(t))) return;
  const m = await loadGensenModel(FIX, 'tiny1');
  const g = await WebGpuGruRunner.create(m.weights, m.weights.tensors.get('src_embedding.weight')!.data);
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    await new Promise((r) => setTimeout(r, 20));
    (runInNewContext('gc') as () => void)();
    const ok = await g.run(BigInt64Array.from([0n, 5n, 2n]), Int32Array.from([3]), 3, { sequence: false });
    assert.equal(ok.finals.length, 2 * m.weights.hidden);
    await assert.rejects(
      g.run(BigInt64Array.from([0n, 60n, 2n]), Int32Array.from([3]), 3, { sequence: false }),
      /id 60 outside the embedding table of 60 rows/,
    );
  } finally {
    await g.close();
  }
});

// A 4 MiB scratch cap: the larger batch splits into chunks (85 sentences of 2 steps), as a batch
// of 4096 does under the default 256 MiB.
const smallScratch = (w: GensenModelData['weights'], emb: Float32Array): Promise<GruBackend> => WebGpuGruRunner.create(w, emb, { scratchCap: 4 * 2 ** 20 });

test('gpu: full-size 1-layer model (nli_large shapes), batches of 1 and of 200 short sentences in 3 chunks, within 1e-4 of the CPU', async (t) => {
  if (!(await needGpu(t))) return;
  await fullSizeParity(
    t,
    1,
    [
      [1, 7],
      [200, 2],
    ],
    smallScratch,
  );
});

test('gpu: full-size 2-layer model (nli_large_bothskip_2layer shapes), batch of 1, within 1e-4 of the CPU', async (t) => {
  if (!(await needGpu(t))) return;
  await fullSizeParity(t, 2, [[1, 5]], smallScratch);
});

test('gpu: the encoder on a full-size model (masked max, fused on the GPU) matches the CPU', async (t) => {
  if (!(await needGpu(t))) return;
  const m = syntheticGensen({ ...FULL, layers: 1 });
  const sents = syntheticSentences(24, 1, 4, FULL.vocab);
  const o = { modelsDir: '.', prefix1: 'synthetic', pool: 'max', maxPool: 'masked' } as const;
  const cpu = await GensenEncoder.fromModels([m], { ...o, device: 'cpu' });
  const gpu = await GensenEncoder.fromModels([m], { ...o, device: 'gpu' });
  try {
    const c = await cpu.encodeTokens(sents, false);
    const g = await gpu.encodeTokens(sents, false);
    const d = maxAbsDiff(c.vectors.data, g.vectors.data);
    t.diagnostic(`full size, encoder, 24 sentences, masked max: max abs diff ${d.toExponential(2)}`);
    assert.ok(d <= TOL, `${d}`);
    assert.equal(gpu.batchIndependent, true);
  } finally {
    await cpu.close();
    await gpu.close();
  }
});
