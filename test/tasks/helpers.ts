/** Shared by the task tests: where the real data and the fixtures are, and sample hashing. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { packageRoot } from '../../src/util/package-info.js';
import type { Split } from '../../src/tasks/types.js';

export const REPO = packageRoot();
export const FIXTURES = join(REPO, 'test', 'fixtures', 'tasks');
export const FIXTURE_DATA = join(FIXTURES, 'data');
export const MALFORMED = join(FIXTURES, 'malformed');

/**
 * The real data folder ($SENTEVAL_DATA, else ../shared/senteval-data beside the repository).
 * Missing: the test fails under CI=true and is skipped elsewhere.
 */
export function realDataDir(t: TestContext): string | undefined {
  const dir = resolve(REPO, process.env.SENTEVAL_DATA ?? '../shared/senteval-data');
  if (existsSync(dir)) return dir;
  if (process.env.CI === 'true') assert.fail(`real data folder ${dir} is missing; set SENTEVAL_DATA`);
  t.skip(`real data folder ${dir} not found; set SENTEVAL_DATA to run this test`);
  return undefined;
}

export interface SplitSummary {
  n: number;
  labelCounts: Record<string, number>;
  sha256: string;
  spots: { i: number; a: string[]; b: string[] | null; y: number }[];
}

export type Reference = { tasks: Record<string, Record<string, SplitSummary>> };

export function readReference(name: 'reference-real.json' | 'reference-fixtures.json'): Reference {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Reference;
}

/** The canonical sample line of make_reference.py: `[a, b|null, y]`, compact JSON. */
export function sampleLine(s: Split, i: number): string {
  return JSON.stringify([s.a[i], s.b === undefined ? null : s.b[i], s.y[i]]);
}

/** Compares a loaded split with its Python-computed summary, sample by sample (via the hash). */
export function assertMatchesReference(s: Split, ref: SplitSummary, what: string): void {
  assert.equal(s.y.length, ref.n, `${what}: sample count`);
  assert.equal(s.a.length, ref.n, `${what}: side a count`);
  if (s.b !== undefined) assert.equal(s.b.length, ref.n, `${what}: side b count`);
  for (const spot of ref.spots) {
    assert.deepEqual(s.a[spot.i], spot.a, `${what}[${spot.i}].a`);
    assert.deepEqual(s.b === undefined ? null : s.b[spot.i], spot.b, `${what}[${spot.i}].b`);
    assert.equal(s.y[spot.i], spot.y, `${what}[${spot.i}].y`);
  }
  if (Object.keys(ref.labelCounts).length > 0) assert.deepEqual(labelCounts(s.y), ref.labelCounts, `${what}: labels`);
  const h = createHash('sha256');
  for (let i = 0; i < s.y.length; i++) h.update(`${sampleLine(s, i)}\n`);
  assert.equal(h.digest('hex'), ref.sha256, `${what}: samples differ from SentEval's reading`);
}

export function labelCounts(y: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of y) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}
