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
import { recordProbeTraffic, summarise, type KindTraffic } from './probe-traffic.js';
import type { OptionValue } from '../src/encoders/registry.js';

const [encoderName, tasks, config, dimArg, seedArg] = process.argv.slice(2);
// BENCH_TRAFFIC=1: also count what the probes read (scripts/probe-traffic.ts).
const traffic = process.env.BENCH_TRAFFIC === '1' ? recordProbeTraffic() : null;
// BENCH_ENCODER_OPTS: the encoder's options as JSON (e.g. a GenSen pair's modelsDir and prefixes).
const encoderOpts = JSON.parse(process.env.BENCH_ENCODER_OPTS ?? '{}') as Record<string, OptionValue>;
const progress = new StderrProgress(Boolean(process.env.BENCH_PROGRESS));
// Where each task's probe jobs start in the traffic records (a task's jobs run between its start and the next's).
const taskStarts: { task: string; at: number }[] = [];
const startTask = progress.startTask.bind(progress);
progress.startTask = (index, total, task) => {
  taskStarts.push({ task, at: traffic ? traffic().length : 0 });
  startTask(index, total, task);
};
const featureDir = mkdtempSync(join(tmpdir(), 'gensen-bench-features-'));
try {
  const t0 = performance.now();
  const encoder = await createEncoder({ encoder: encoderName, ...(encoderName === 'borep' ? { dim: Number(dimArg ?? 4096) } : {}), ...encoderOpts });
  const loadSeconds = (performance.now() - t0) / 1000;
  const results = await evaluate(encoder, {
    tasks: resolveTasks(tasks!),
    dataDir: resolveDataDir(process.env.BENCH_DATA_DIR),
    // BENCH_NHID: the probe's hidden units (the MLP; 0 or unset: the preset's logistic probe).
    settings: resolveSettings(config ?? 'paper', process.env.BENCH_NHID ? { nhid: Number(process.env.BENCH_NHID) } : {}),
    seeds: [Number(seedArg ?? 1111)],
    // A fresh feature cache: encoding is part of what is measured (BENCH_NO_CACHE=1: none at all,
    // so a scale run does not also write its multi-GB store to disk).
    ...(process.env.BENCH_NO_CACHE === '1' ? {} : { cache: new FeatureCache(featureDir) }),
    progress,
  });
  await closeProbePool();
  let trafficByTask: Record<string, KindTraffic[]> | undefined;
  if (traffic) {
    const all = traffic();
    trafficByTask = {};
    taskStarts.forEach(({ task, at }, i) => {
      trafficByTask![task] = summarise(all.slice(at, taskStarts[i + 1]?.at ?? all.length));
    });
  }
  process.stdout.write(
    `${JSON.stringify({
      encoder: encoderName,
      loadSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      tasks: results.tasks,
      ...(traffic ? { traffic: summarise(traffic()), trafficByTask } : {}),
    })}\n`,
  );
} finally {
  rmSync(featureDir, { recursive: true, force: true });
}
