import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** Repo root, from test/helpers (tsx) or dist/test/helpers (compiled). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/**
 * The real SentEval data: `$SENTEVAL_DATA`, else `../shared/senteval-data` beside the repo. Under CI
 * (`CI=true`) missing data fails the test; elsewhere the test is skipped with a message naming the
 * variable to set.
 */
export function senteval(t: TestContext): string | undefined {
  const dir = process.env.SENTEVAL_DATA ?? resolve(repoRoot(), '..', 'shared', 'senteval-data');
  if (existsSync(join(dir, 'MR', 'rt-polarity.pos'))) return dir;
  const msg = `SentEval data not found at ${dir}: set SENTEVAL_DATA to a data/downstream folder`;
  if (process.env.CI === 'true') throw new Error(msg);
  t.skip(msg);
  return undefined;
}

/**
 * A folder of symlinks to `src`'s files lacking the given paths (relative, `/`-separated; files or
 * folders), made under `parent`: a test that needs a task's data absent makes it absent, whatever the
 * real folder holds (a complete one, as a user's, included).
 */
export function dataDirWithout(src: string, omit: readonly string[], parent: string): string {
  const out = mkdtempSync(join(parent, 'data-without-'));
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(src, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (omit.includes(r)) continue;
      if (omit.some((o) => o.startsWith(`${r}/`))) {
        mkdirSync(join(out, r));
        walk(r);
      } else symlinkSync(join(src, r), join(out, r));
    }
  };
  walk('');
  return out;
}

/**
 * The share (percent) of a task's test split held by its most frequent class: the accuracy of
 * always answering that class, which a probe on any encoder with a real signal must reach.
 */
export async function majorityClassPercent(taskId: string, dataDir: string): Promise<number> {
  const { loadTask } = await import('../../src/tasks/load.js');
  const { resolveTask } = await import('../../src/tasks/registry.js');
  const y = (await loadTask(resolveTask(taskId), dataDir)).splits['test']!.y;
  const counts = new Map<number, number>();
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1);
  return (100 * Math.max(...counts.values())) / y.length;
}
