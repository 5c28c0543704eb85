/**
 * GenSen encoder throughput: a full-size synthetic model (V = 80,004, E = 512, H = 1,024, random
 * weights made in memory), sentences with MR's real length distribution, batches of 128, in
 * SentEval order (sorted by length) and in input order; side by side with PyTorch CPU at the same
 * thread count when /usr/bin/python3 has torch.
 * Run: node --import tsx scripts/bench-gensen.ts [--sentences 1024] [--layers 1] [--threads 2] [--reps 2]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GensenEncoder } from '../src/encoders/gensen/encoder.js';
import { syntheticGensen } from '../test/helpers/synthetic-gensen.js';
import { Rng } from '../src/util/rng.js';
import { pySplit, pyFileLines } from '../src/util/pystr.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const V = 80_004;
const E = 512;
const H = 1024;
const LAYERS = arg('layers', 1);
const N = arg('sentences', 1024);
const THREADS = arg('threads', 2);
const BATCH = 128;
const REPS = arg('reps', 2);
const rng = new Rng(1111);

/** Word counts of MR's sentences (SentEval splits on whitespace), or a similar fallback. */
function mrLengths(): { lengths: number[]; source: string } {
  const dir = process.env['SENTEVAL_DATA'] ?? '/work/shared/senteval-data';
  const files = ['rt-polarity.pos', 'rt-polarity.neg'].map((f) => join(dir, 'MR', f));
  if (files.every(existsSync)) {
    const lengths = files.flatMap((f) => pyFileLines(readFileSync(f, 'latin1')).map((l) => pySplit(l).length));
    return { lengths, source: 'MR rt-polarity' };
  }
  return { lengths: Array.from({ length: 2000 }, () => 5 + Math.floor(rng.next() * 35)), source: 'uniform 5..39 (MR not found)' };
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  console.log(`cpus: ${cpus().length} (${cpus()[0]?.model ?? '?'}), threads: ${THREADS}, layers: ${LAYERS}, sentences: ${N}, batch: ${BATCH}`);
  const { lengths, source } = mrLengths();
  const sample = Array.from({ length: N }, () => lengths[rng.int(lengths.length)]!);
  const sents = sample.map((len) => Array.from({ length: len }, () => `w${4 + rng.int(V - 4)}`));
  const mean = sample.reduce((a, b) => a + b, 0) / N;
  console.log(`lengths from ${source}: mean ${mean.toFixed(1)} words, max ${Math.max(...sample)}`);
  // SentEval sorts by length before batching; `encode` keeps input order.
  const sorted = [...sents].sort((a, b) => a.length - b.length);
  const orders: Record<string, string[][][]> = { senteval: [], input: [] };
  for (let i = 0; i < N; i += BATCH) {
    orders['senteval']!.push(sorted.slice(i, i + BATCH));
    orders['input']!.push(sents.slice(i, i + BATCH));
  }

  const t0 = performance.now();
  const model = syntheticGensen({ vocab: V, embDim: E, hidden: H, layers: LAYERS });
  console.log(`synthetic model built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const ours: Record<string, number> = {};
  for (const pool of ['last', 'max'] as const) {
    const enc = await GensenEncoder.fromModels([model], {
      modelsDir: '',
      prefix1: 'synthetic',
      pool,
      maxPool: 'faithful',
      tuning: { intraOpThreads: THREADS },
    });
    for (const [name, batches] of Object.entries(orders)) {
      await enc.encodeTokens(batches[0]!, false); // warm-up
      // Best of REPS: the machine may be shared, and the minimum is the least disturbed run.
      let best = Infinity;
      for (let rep = 0; rep < REPS; rep++) {
        best = Math.min(
          best,
          await timeIt(async () => {
            for (const b of batches) await enc.encodeTokens(b, false);
          }),
        );
      }
      ours[`${name}/${pool}`] = N / best;
    }
    await enc.close();
  }

  let torch: Record<string, number> | undefined;
  const py = '/usr/bin/python3';
  if (existsSync(py)) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      const dir = mkdtempSync(join(tmpdir(), 'bench-gensen-'));
      try {
        const ids = (b: string[][]) => b.map((s) => [0, ...s.map((w) => Number(w.slice(1))), 2]);
        const spec = {
          reps: REPS,
          vocab: V,
          emb: E,
          hidden: H,
          layers: LAYERS,
          orders: Object.fromEntries(Object.entries(orders).map(([k, bs]) => [k, bs.map(ids)])),
        };
        writeFileSync(join(dir, 'batches.json'), JSON.stringify(spec));
        const script = join(process.cwd(), 'scripts', 'reference', 'bench_gensen_torch.py');
        const out = execFileSync(py, [script, join(dir, 'batches.json'), String(THREADS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
        const parsed = JSON.parse(out.trim().split('\n').pop()!) as { torch: string; sentencesPerSecond: Record<string, number> };
        torch = parsed.sentencesPerSecond;
        console.log(`PyTorch ${parsed.torch} CPU, ${THREADS} threads`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } catch (e) {
      console.log(`PyTorch reference skipped: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  console.log('\norder/pool          ours (sent/s)   PyTorch (sent/s)   ratio');
  for (const k of Object.keys(ours)) {
    const t = torch?.[k];
    console.log(
      `${k.padEnd(18)} ${ours[k]!.toFixed(1).padStart(14)} ${t !== undefined ? t.toFixed(1).padStart(18) : '                 -'} ${t !== undefined ? (ours[k]! / t).toFixed(2).padStart(7) + 'x' : ''}`,
    );
  }
}

await main();
