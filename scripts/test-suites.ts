/**
 * The unit/integration split of the test suite, read from scripts/test-suites.json: a test file takes
 * the class of the longest path (file, or folder ending in /) that contains it. Used by
 * scripts/run-tests.ts and checked by test/layout/test-suites.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type SuiteClass = 'unit' | 'integration';

export interface SuiteManifest {
  readonly unit: readonly string[];
  readonly integration: readonly string[];
}

export function readManifest(root: string): SuiteManifest {
  const doc = JSON.parse(readFileSync(join(root, 'scripts', 'test-suites.json'), 'utf8')) as Partial<SuiteManifest>;
  if (!Array.isArray(doc.unit) || !Array.isArray(doc.integration)) throw new Error('scripts/test-suites.json: expected arrays "unit" and "integration"');
  return { unit: doc.unit, integration: doc.integration };
}

const covers = (entry: string, file: string): boolean => (entry.endsWith('/') ? file.startsWith(entry) : file === entry);

/** The class of `file` (a repository-relative test/…/x.test.ts path), or undefined where no path covers it. */
export function classify(m: SuiteManifest, file: string): SuiteClass | undefined {
  let best: { len: number; cls: SuiteClass } | undefined;
  for (const cls of ['unit', 'integration'] as const) {
    for (const entry of m[cls]) {
      if (covers(entry, file) && (!best || entry.length > best.len)) best = { len: entry.length, cls };
    }
  }
  return best?.cls;
}

/** Repository-relative paths (`/`-separated) of the files under `dir` whose names end in `suffix`. */
export function filesEndingIn(root: string, dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(suffix)) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(join(root, dir));
  return out.sort();
}
