/**
 * One benchmark job, run in its own process so that its peak memory is its own: evaluates the given
 * tasks through the library API and prints a JSON line with timings, scores and max RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../src/encoders/factory.js';
import { FeatureCache } from '../src/evaluate/feature-cache.js';
import { StderrProgress } from '../src/evaluate/progress.js';
import { evaluate } from '../src/evaluate/run.js';
import { resolveSettings } from '../src/protocol/settings.js';
import { resolveDataDir } from '../src/tasks/data-dir.js';
import { resolveTasks } from '../src/tasks/registry.js';
import { closeProbePool } from '../src/protocol/index.js';
import { recordProbeTraffic, summarise } from './probe-traffic.js';

const [encoderName, tasks, config, dimArg, seedArg] = process.argv.slice(2);
// BENCH_TRAFFIC=1: also count what the probes read (scripts/probe-traffic.ts).
const traffic = process.env.BENCH_TRAFFIC === '1' ? recordProbeTraffic() : null;
const featureDir = mkdtempSync(join(tmpdir(), 'gensen-bench-features-'));
try {
  const t0 = performance.now();
  const encoder = await createEncoder({ encoder: encoderName, ...(encoderName === 'borep' ? { dim: Number(dimArg ?? 4096) } : {}) });
  const loadSeconds = (performance.now() - t0) / 1000;
  const results = await evaluate(encoder, {
    tasks: resolveTasks(tasks!),
    dataDir: resolveDataDir(process.env.BENCH_DATA_DIR),
    settings: resolveSettings(config ?? 'paper'),
    seeds: [Number(seedArg ?? 1111)],
    // A fresh feature cache: encoding is part of what is measured (BENCH_NO_CACHE=1: none at all,
    // so a scale run does not also write its multi-GB store to disk).
    ...(process.env.BENCH_NO_CACHE === '1' ? {} : { cache: new FeatureCache(featureDir) }),
    progress: new StderrProgress(Boolean(process.env.BENCH_PROGRESS)),
  });
  await closeProbePool();
  process.stdout.write(
    `${JSON.stringify({
      encoder: encoderName,
      loadSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      tasks: results.tasks,
      ...(traffic ? { traffic: summarise(traffic()) } : {}),
    })}\n`,
  );
} finally {
  rmSync(featureDir, { recursive: true, force: true });
}
