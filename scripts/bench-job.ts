/**
 * One benchmark job (scripts/bench-evaluate) in a child process, so that its timing and peak memory
 * are its own; returns the JSON line it prints.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskResult } from '../src/results/schema.js';
import type { KindTraffic } from './probe-traffic.js';

const here = dirname(fileURLToPath(import.meta.url));
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

export interface JobOutput {
  totalSeconds: number;
  loadSeconds: number;
  maxRssMiB: number;
  tasks: Record<string, TaskResult>;
  traffic?: KindTraffic[];
  /** With BENCH_TRAFFIC=1: what each task's probes read. */
  trafficByTask?: Record<string, KindTraffic[]>;
}

/** `args`: encoder, comma-separated tasks, config[, borep dim[, seed]]; `env` adds BENCH_* settings. */
export function job(args: string[], env: Record<string, string> = {}): JobOutput {
  const script = join(here, `bench-evaluate${ext}`);
  const node = ext === '.ts' ? ['--import', 'tsx', script] : [script];
  const r = spawnSync(process.execPath, [...node, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`bench job ${args.join(' ')} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as JobOutput;
}
