/**
 * Whether onnxruntime's CUDA execution provider can run here, and what to record of the GPU it
 * runs on. onnxruntime-node ships the provider's libraries only for linux x64, and only when its
 * install script downloaded them (`ONNXRUNTIME_NODE_INSTALL=skip`, the default of this project's
 * CI, leaves them out); they then need an NVIDIA driver, CUDA 12 and cuDNN 9 on the library path.
 *
 * A failed load makes onnxruntime print its own multi-line log on the process's stderr, so the
 * first attempt runs in a child process (a tiny bidirectional GRU, the operator GenSen needs,
 * which loads cuDNN as well as CUDA): the user gets one line naming what is missing, and the
 * parent process only loads the provider once it is known to work.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GpuAdapterSummary } from './webgpu.js';
import { FLOAT, INT32, modelProto, node, tensorProto, valueInfo } from '../formats/onnx.js';
import { MessageWriter } from '../formats/protobuf.js';

/** Thrown when the CUDA provider cannot run; the message is one line saying what is missing. */
export class CudaUnavailableError extends Error {
  override readonly name = 'CudaUnavailableError';
}

/** The provider's libraries, which onnxruntime looks for beside its own. */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

const INSTALL_HINT =
  'add it with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` ' +
  '(downloads the provider from api.nuget.org), or use --device gpu (WebGPU, no CUDA needed)';

const LIBRARY_HINT = 'the provider needs an NVIDIA driver and the CUDA 12 and cuDNN 9 libraries where the dynamic loader finds them (LD_LIBRARY_PATH)';

/** onnxruntime-node's package folder (where its binding and libraries live). */
export function ortPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(dirname(require.resolve('onnxruntime-node')));
}

function binDir(pkgDir: string): string {
  return join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
}

/** The install-level reason the provider cannot load, or null when its files are present. */
export function missingProviderFiles(pkgDir: string = ortPackageDir()): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `onnxruntime-node ships its CUDA provider for linux x64 only (this is ${process.platform} ${process.arch}); use --device gpu (WebGPU)`;
  }
  const dir = binDir(pkgDir);
  const absent = CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(dir, f)));
  if (absent.length === 0) return null;
  return `onnxruntime-node has no CUDA provider here (${join(dir, absent[absent.length - 1]!)} is absent: its install script did not download it, as under ONNXRUNTIME_NODE_INSTALL=skip); ${INSTALL_HINT}`;
}

/**
 * The useful part of onnxruntime's failure text: the library the loader could not open, the CUDA
 * or cuDNN error, else the message without ORT's source location and colour codes.
 */
export function cudaFailureReason(text: string): string {
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  const load = /Failed to load library (\S+) with error: ([^\n]+)/.exec(plain);
  if (load) return `${load[1]} could not be loaded: ${load[2]!.trim()}`;
  const cuda = /(CUDA|CUDNN|CUBLAS) failure (\d+): ([^;\n]+)/.exec(plain);
  if (cuda) return `${cuda[1]} error ${cuda[2]}: ${cuda[3]!.trim()}`;
  const lines = plain
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = (lines.find((l) => /error|fail/i.test(l)) ?? lines[0] ?? 'no message').replace(/^.*\[ONNXRuntimeError\] : \d+ : \w+ : /, '');
  return last.length > 300 ? `${last.slice(0, 300)}…` : last;
}

/**
 * One bidirectional GRU (hidden 2, input 3, linear_before_reset as GenSen's graph has it): the
 * smallest graph that makes the provider load cuDNN's GRU.
 */
function probeModel(): Uint8Array {
  const vals = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 7) % 11) / 11 - 0.45);
  const g = new MessageWriter();
  g.message(
    1,
    node(
      'GRU',
      ['X', 'W', 'R', 'B', 'lens'],
      ['', 'Y_h'],
      [
        { name: 'direction', str: 'bidirectional' },
        { name: 'hidden_size', int: 2 },
        { name: 'linear_before_reset', int: 1 },
      ],
    ),
  );
  g.string(2, 'cuda_probe');
  g.message(5, tensorProto('W', [2, 6, 3], vals(36)));
  g.message(5, tensorProto('R', [2, 6, 2], vals(24)));
  g.message(5, tensorProto('B', [2, 12], vals(24)));
  g.message(11, valueInfo('X', FLOAT, [3, 2, 3]));
  g.message(11, valueInfo('lens', INT32, [2]));
  g.message(12, valueInfo('Y_h', FLOAT, [2, 2, 2]));
  return modelProto(g);
}

// The child creates a session on the CUDA provider and runs one batch of two sentences (lengths
// 3 and 1, so sequence_lens is used); it prints `ok` or `ERR <message>`.
const PROBE_SCRIPT = `
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const model = Buffer.concat(chunks);
try {
  const m = await import(process.env.GENSEN_EVAL_ORT_URL);
  const ort = m.default ?? m;
  const s = await ort.InferenceSession.create(model, { executionProviders: [{ name: 'cuda', deviceId: Number(process.env.GENSEN_EVAL_CUDA_DEVICE) }] });
  const out = await s.run({
    X: new ort.Tensor('float32', Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)), [3, 2, 3]),
    lens: new ort.Tensor('int32', Int32Array.from([3, 1]), [2]),
  });
  const y = out.Y_h.data;
  if (y.length !== 8 || ![...y].every(Number.isFinite)) throw new Error('the probe GRU returned ' + y.length + ' values, not 8 finite ones');
  process.stdout.write('ok');
} catch (e) {
  process.stdout.write('ERR ' + String(e && e.message || e));
}
`;

const probes = new Map<string, Promise<string | null>>();

/**
 * Null when the CUDA provider loads and runs a GRU on device `deviceId`, else the one-line reason.
 * Checked once per process and device (and package folder, which tests point elsewhere).
 */
export function cudaProviderProblem(deviceId = 0, pkgDir: string = ortPackageDir()): Promise<string | null> {
  const key = `${pkgDir}\0${deviceId}`;
  let p = probes.get(key);
  if (!p) {
    p = checkCudaProvider(deviceId, pkgDir);
    probes.set(key, p);
  }
  return p;
}

/** cudaProviderProblem without the per-process memo: one file check and one child run. */
export async function checkCudaProvider(deviceId: number, pkgDir: string): Promise<string | null> {
  const missing = missingProviderFiles(pkgDir);
  if (missing) return missing;
  const model = probeModel();
  const url = pathToFileURL(join(pkgDir, 'dist', 'index.js')).href;
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE_SCRIPT],
      { env: { ...process.env, GENSEN_EVAL_ORT_URL: url, GENSEN_EVAL_CUDA_DEVICE: String(deviceId) }, timeout: 120_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (stdout === 'ok') return resolve(null);
        if (stdout.startsWith('ERR ')) {
          const reason = cudaFailureReason(`${stderr}\n${stdout.slice(4)}`);
          const hint = /cannot open shared object file/.test(reason) ? `; ${LIBRARY_HINT}` : '';
          return resolve(`the CUDA provider failed: ${reason}${hint}`);
        }
        const why = err && 'killed' in err && err.killed ? 'timed out after 120 s' : cudaFailureReason(`${stderr}\n${err?.message ?? ''}`);
        resolve(`the CUDA provider check ended without an answer (${why})`);
      },
    );
    // A child that dies before reading its input (a crash while loading) must not make the write
    // an unhandled EPIPE: its exit is reported by the callback above.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(model);
  });
}

/**
 * float32 as on the CPU unless asked otherwise: cuBLAS and cuDNN use TF32 tensor cores for float32
 * on Ampere and later by default (about 1e-3 relative error), and onnxruntime-node cannot pass the
 * provider's `use_tf32` option, so NVIDIA's process-wide switch is set before the libraries load.
 * A user who exported NVIDIA_TF32_OVERRIDE keeps their value (cudaTf32Allowed says which).
 */
export function pinCudaFloat32(): void {
  if (process.env['NVIDIA_TF32_OVERRIDE'] === undefined) process.env['NVIDIA_TF32_OVERRIDE'] = '0';
}

/** Whether CUDA libraries in this process may use TF32 (the user exported NVIDIA_TF32_OVERRIDE ≠ 0). */
export function cudaTf32Allowed(): boolean {
  return process.env['NVIDIA_TF32_OVERRIDE'] !== undefined && process.env['NVIDIA_TF32_OVERRIDE'] !== '0';
}

/**
 * What results record of the GPU: the NVIDIA driver's /proc files name the model and driver
 * version (no CUDA call needed). With several GPUs of different models the device id's model is
 * not knowable from there, so all are listed.
 */
export function cudaAdapterSummary(deviceId: number, procDir = '/proc/driver/nvidia'): GpuAdapterSummary {
  let driver = '';
  const models: string[] = [];
  try {
    driver = /Kernel Module\s+(?:for\s+\S+\s+)?([0-9][0-9.]+)/.exec(readFileSync(join(procDir, 'version'), 'utf8'))?.[1] ?? '';
  } catch {
    // no NVIDIA kernel module files (a container without /proc/driver/nvidia): leave it blank
  }
  try {
    for (const g of readdirSync(join(procDir, 'gpus')).sort()) {
      const m = /^Model:\s*(.+)$/m.exec(readFileSync(join(procDir, 'gpus', g, 'information'), 'utf8'));
      if (m) models.push(m[1]!.trim());
    }
  } catch {
    // as above
  }
  const distinct = [...new Set(models)];
  const device = distinct.length === 1 ? distinct[0]! : distinct.join(' / ');
  // The model leads: logs show `description` (describeDevice), as WebGPU adapters' name their GPU.
  const description = [device, `CUDA device ${deviceId}`, driver ? `driver ${driver}` : ''].filter(Boolean).join(', ');
  return { vendor: 'nvidia', architecture: '', device, description, software: false };
}
