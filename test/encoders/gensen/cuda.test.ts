/**
 * GenSen's GRU on onnxruntime's CUDA execution provider. Where the provider cannot run (CI installs
 * onnxruntime-node without it) the parity tests skip and the refusals are tested instead: one line
 * naming the missing file or library, exit 2, nothing written. The CUDA layout of the graph (the
 * embedding baked in, sessions rebuilt per table) is also checked on the CPU provider, where it
 * must give the fed-table graph's bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGensenEncoder } from '../../../src/encoders/gensen/factory.js';
import { loadGensenModel } from '../../../src/encoders/gensen/model-files.js';
import { GruRunner } from '../../../src/encoders/gensen/gru.js';
import { checkCudaProvider, CUDA_PROVIDER_FILES, cudaProviderProblem, missingProviderFiles, ortPackageDir } from '../../../src/compute/ort-cuda.js';
import { UserError } from '../../../src/util/errors.js';
import { pySplit } from '../../../src/util/pystr.js';
import { Rng } from '../../../src/util/rng.js';
import { repoRoot } from '../../helpers/data.js';
import { runCli } from '../../helpers/cli.js';
import { needCuda } from '../../helpers/gpu.js';
import {
  EXPANSION_SETS,
  expansionParity,
  faithfulMaxVsPytorch,
  FIX,
  fullSizeParity,
  MODEL_SETS,
  pair,
  poolingParity,
  randomBatch,
  TINY,
  TOL,
} from '../../helpers/gensen-parity.js';

const STUBS = join(repoRoot(), 'test', 'fixtures', 'cuda');

test("cuda: the baked-table graph (the CUDA layout) gives the fed-table graph's bits on the CPU provider, across table swaps", async (t) => {
  const rng = new Rng(7);
  for (const prefix of ['tiny1', 'tiny2']) {
    const m = await loadGensenModel(FIX, prefix);
    const E = m.weights.embDim;
    const own = m.weights.tensors.get('src_embedding.weight')!.data;
    const fed = await GruRunner.create(m.weights, own);
    const baked = await GruRunner.create(m.weights, own, {}, 'baked');
    try {
      assert.equal(fed.placement, 'input');
      assert.equal(baked.placement, 'baked');
      // A task's expanded table: more rows than the model's, other values.
      const expanded = Float32Array.from({ length: (m.weights.vocabSize + 9) * E }, () => rng.next() - 0.5);
      for (const [label, table] of [
        ['own', own],
        ['expanded', expanded],
        ['own again', own],
      ] as const) {
        fed.setEmbedding(table);
        baked.setEmbedding(table);
        assert.equal(baked.vocabRows, table.length / E);
        for (const [B, T] of [
          [1, 1],
          [5, 7],
          [40, 3],
        ] as const) {
          const { ids, lens } = randomBatch(rng, B, T, table.length / E);
          for (const sequence of [false, true]) {
            const a = await fed.run(ids, lens, T, { sequence });
            const b = await baked.run(ids, lens, T, { sequence });
            assert.deepEqual(b.finals, a.finals, `${prefix} ${label} B=${B} T=${T}`);
            assert.deepEqual(b.steps, a.steps);
          }
        }
      }
      t.diagnostic(`${prefix}: baked and fed tables bit-identical over 3 tables × 3 batch shapes × both graphs`);
    } finally {
      await fed.close();
      await baked.close();
    }
  }
});

test('cuda: without the provider files, --device cuda is one line naming the missing file and how to add it; exit 2, nothing written', async (t) => {
  const missing = missingProviderFiles();
  if (missing === null) return t.skip('this onnxruntime-node install has the CUDA provider files');
  assert.match(missing, /libonnxruntime_providers_cuda\.so is absent/);
  assert.equal(await cudaProviderProblem(), missing);
  await assert.rejects(
    createGensenEncoder({ modelsDir: FIX, prefix1: 'tiny1', pool: 'last', maxPool: 'faithful', device: 'cuda' }),
    (e: unknown) =>
      e instanceof UserError && e.message.startsWith('gensen --device cuda: onnxruntime-node has no CUDA provider here') && !e.message.includes('\n'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'gensen-cuda-cli-'));
  try {
    const input = join(dir, 'in.txt');
    const out = join(dir, 'out.npy');
    writeFileSync(input, 'a b c\n');
    const r = runCli(['encode', '--models-dir', FIX, '--prefix1', 'tiny1', '--input', input, '--out', out, '--device', 'cuda']);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('gensen-eval:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^gensen-eval: gensen --device cuda: .*libonnxruntime_providers_cuda\.so is absent.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(out), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A copy of onnxruntime-node (its JS, binding and runtime hard-linked or copied) with stand-ins for
 * the provider libraries: the shared one loads, the CUDA one needs libcublasLt.so.12, as on a
 * machine where the provider was downloaded but CUDA 12 is not installed.
 */
function installWithoutCuda(): string {
  const real = ortPackageDir();
  const root = mkdtempSync(join(tmpdir(), 'gensen-ort-nocuda-'));
  const pkg = join(root, 'node_modules', 'onnxruntime-node');
  const bin = join('bin', 'napi-v6', process.platform, process.arch);
  mkdirSync(join(pkg, bin), { recursive: true });
  cpSync(join(real, 'dist'), join(pkg, 'dist'), { recursive: true });
  copyFileSync(join(real, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(dirname(real), 'onnxruntime-common'), join(root, 'node_modules', 'onnxruntime-common'));
  for (const f of ['libonnxruntime.so.1', 'onnxruntime_binding.node']) {
    try {
      linkSync(join(real, bin, f), join(pkg, bin, f));
    } catch {
      copyFileSync(join(real, bin, f), join(pkg, bin, f));
    }
  }
  for (const f of CUDA_PROVIDER_FILES) copyFileSync(join(STUBS, f), join(pkg, bin, f));
  return pkg;
}

test("cuda: a provider whose CUDA libraries are missing is one line naming the library (onnxruntime's own log stays in the child)", async (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return t.skip('onnxruntime-node ships the CUDA provider for linux x64 only');
  const pkg = installWithoutCuda();
  try {
    assert.equal(missingProviderFiles(pkg), null);
    const problem = await cudaProviderProblem(0, pkg);
    t.diagnostic(problem ?? 'null');
    assert.ok(problem !== null);
    assert.match(
      problem,
      /^the CUDA provider failed: \S+libonnxruntime_providers_cuda\.so could not be loaded: libcublasLt\.so\.12: cannot open shared object file/,
    );
    assert.match(problem, /CUDA 12 and cuDNN 9/);
    assert.equal(problem.includes('\n'), false);
    // A provider file that is not a library at all: the memo keeps the first answer; a new check sees it.
    writeFileSync(join(pkg, 'bin', 'napi-v6', process.platform, process.arch, CUDA_PROVIDER_FILES[0]), 'not a library\n');
    assert.equal(await cudaProviderProblem(0, pkg), problem, 'checked once per process');
    const other = await checkCudaProvider(0, pkg);
    assert.match(other ?? '', /libonnxruntime_providers_shared\.so could not be loaded: .*(file too short|invalid ELF header)/);
  } finally {
    rmSync(dirname(dirname(pkg)), { recursive: true, force: true });
  }
});

for (const [name, prefixes, batches] of MODEL_SETS) {
  test(`cuda: ${name}: last, faithful max, masked max and all states within ${TOL} of the CPU`, async (t) => {
    if (!(await needCuda(t))) return;
    await poolingParity(t, 'cuda', name, prefixes, batches);
  });
}

for (const set of EXPANSION_SETS) {
  test(`cuda: ${set[0]} with expanded task vocabularies (${set[3]}): MR and TREC within ${TOL} of the CPU`, async (t) => {
    if (!(await needCuda(t))) return;
    await expansionParity(t, 'cuda', set);
  });
}

test('cuda: faithful max pooling pads to the caller batch, not to the chunk; vectors match PyTorch', async (t) => {
  if (!(await needCuda(t))) return;
  await faithfulMaxVsPytorch(t, 'cuda');
});

test('cuda: the identity says device cuda and the record names the NVIDIA GPU; float32 unless NVIDIA_TF32_OVERRIDE was exported', async (t) => {
  if (!(await needCuda(t))) return;
  const o = { modelsDir: FIX, prefix1: 'tiny1', pool: 'last', maxPool: 'faithful' } as const;
  const [cpu, cuda] = await pair(o, 'cuda');
  try {
    const d = cuda.computeDevice;
    assert.ok(d.kind === 'gpu' && d.api === 'cuda' && d.vendor === 'nvidia', JSON.stringify(d));
    t.diagnostic(JSON.stringify(d));
    const tf32 = process.env.NVIDIA_TF32_OVERRIDE !== '0';
    assert.deepEqual(cuda.identity, { ...cpu.identity, params: { ...cpu.identity.params, device: tf32 ? 'cuda-tf32' : 'cuda' } });
    const v = await cuda.encode(TINY[0]!.map((s) => pySplit(s)));
    assert.equal(v.rows, TINY[0]!.length);
  } finally {
    await cpu.close();
    await cuda.close();
  }
});

test('cuda: full-size models (nli_large and its 2-layer shapes) within 1e-4 of the CPU, batches of 1 and 256', async (t) => {
  if (!(await needCuda(t))) return;
  const onCuda = (w: Parameters<typeof GruRunner.create>[0], emb: Float32Array): Promise<GruRunner> => GruRunner.create(w, emb, { provider: 'cuda' });
  await fullSizeParity(
    t,
    1,
    [
      [1, 7],
      [256, 12],
    ],
    onCuda,
  );
  await fullSizeParity(
    t,
    2,
    [
      [1, 5],
      [256, 6],
    ],
    onCuda,
  );
});
