import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpuContext } from '../../src/compute/webgpu.js';
import { test } from 'node:test';
import { readResultsFile, validateResults } from '../../src/results/read.js';
import { UserError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';
import { senteval } from '../helpers/data.js';
import { fixture } from '../report/fixtures.js';

type Doc = Parameters<typeof validateResults>[0];
const base = (): Record<string, unknown> => JSON.parse(readFileSync(fixture('base.json'), 'utf8')) as Record<string, unknown>;

test('devices (what ran encoding and probes, with the GPU adapter) read back as written', () => {
  const gpu = { kind: 'gpu', api: 'webgpu', vendor: 'nvidia', architecture: 'hopper', device: 'H200', description: 'NVIDIA 580.159', software: false };
  const cpu = { kind: 'cpu', threads: 16, model: 'AMD EPYC' };
  const r = validateResults({ ...base(), devices: { encode: gpu, probes: cpu } } as Doc, 'r.json');
  assert.deepEqual(r.results.devices, { encode: gpu, probes: cpu });
  assert.deepEqual(r.warnings, []);
});

test('a CUDA device reads back as written; a record from before the api field reads as webgpu; an unknown api is one line', () => {
  const cuda = {
    kind: 'gpu',
    api: 'cuda',
    vendor: 'nvidia',
    architecture: '',
    device: 'NVIDIA H200',
    description: 'NVIDIA H200, CUDA device 0, driver 550.54.15',
    software: false,
  };
  const webgpu = { kind: 'gpu', vendor: 'nvidia', architecture: 'hopper', device: 'H200', description: '', software: false };
  const r = validateResults({ ...base(), devices: { encode: cuda, probes: webgpu } } as Doc, 'r.json');
  assert.deepEqual(r.results.devices, { encode: cuda, probes: { ...webgpu, api: 'webgpu' } });
  assert.throws(
    () => validateResults({ ...base(), devices: { encode: { ...cuda, api: 'rocm' }, probes: webgpu } } as Doc, 'r.json'),
    (e: unknown) =>
      e instanceof UserError &&
      /r\.json: field .devices\.encode\.api.: expected .webgpu. or .cuda., found a string \("rocm"\)/.test(e.message) &&
      !e.message.includes('\n'),
  );
});

test('a device of an unknown kind is refused in one line naming the field', () => {
  const doc = { ...base(), devices: { encode: { kind: 'tpu' }, probes: { kind: 'cpu', threads: 2 } } } as Doc;
  assert.throws(
    () => validateResults(doc, 'r.json'),
    (e: unknown) =>
      e instanceof UserError &&
      /r\.json: field .devices\.encode\.kind.: expected .cpu. or .gpu., found a string \("tpu"\)/.test(e.message) &&
      !e.message.includes('\n'),
  );
});

test('evaluate --device auto records the choice and what ran each stage; a bad --device is one line', async (t) => {
  const data = senteval(t);
  if (!data) return;
  const dir = mkdtempSync(join(tmpdir(), 'gensen-devices-'));
  try {
    const out = join(dir, 'r.json');
    const r = runCli(['evaluate', '--tasks', 'SICK-E', '--config', 'fast', '--data-dir', data, '--out', out, '--no-cache', '--device', 'auto']);
    assert.equal(r.status, 0, r.stderr);
    const res = readResultsFile(out).results;
    assert.equal(res.device, 'auto');
    // bow has no GPU path: it encodes on the CPU whatever adapter exists; probes follow the adapter.
    assert.equal(res.devices?.encode.kind, 'cpu');
    // Issue 28: auto never picks a software adapter (lavapipe), and says so in one line.
    const ctx = await gpuContext();
    const adapter = typeof ctx !== 'string';
    const software = typeof ctx !== 'string' && ctx.adapter.software;
    assert.equal(res.devices?.probes.kind, adapter && !software ? 'gpu' : 'cpu');
    if (!adapter) assert.match(r.stderr, /--device auto: no GPU: .*probes train on the CPU/);
    else if (software) assert.match(r.stderr, /--device auto: the only WebGPU adapter is .*a software adapter .*: probes train on the CPU/);
    // cuda is an encoder choice: bow still encodes on the CPU, and probes train as under auto.
    const cudaOut = join(dir, 'c.json');
    const cu = runCli(['evaluate', '--tasks', 'SICK-E', '--config', 'fast', '--data-dir', data, '--out', cudaOut, '--no-cache', '--device', 'cuda']);
    assert.equal(cu.status, 0, cu.stderr);
    const rc = readResultsFile(cudaOut).results;
    assert.equal(rc.device, 'cuda');
    assert.equal(rc.devices?.encode.kind, 'cpu');
    assert.deepEqual(rc.devices?.probes, res.devices?.probes);
    const bad = runCli(['evaluate', '--tasks', 'SICK-E', '--data-dir', data, '--out', join(dir, 'b.json'), '--device', 'tpu']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /device/);
    assert.doesNotMatch(bad.stderr, /^\s+at /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
