import { writeFileSync } from 'node:fs';
import { loadEmbeddedVectors } from '../../src/vectors/embedded.js';
import { taskContext } from '../../src/evaluate/run-task.js';
import { loadTask } from '../../src/tasks/load.js';
import { resolveTasks } from '../../src/tasks/registry.js';

/**
 * Writes the embedded word vectors of every (lowercased) word of `tasks` as a GloVe text file, for
 * the independent bag-of-words encoders under test. Each float32 value is printed as its double's
 * shortest round-trip decimal, so the file holds exactly the vectors `bow` uses.
 */
export async function writeTaskWordVectors(path: string, dataDir: string, tasks: string, extra: readonly string[] = []): Promise<number> {
  const wv = loadEmbeddedVectors();
  const words = new Set<string>(extra.map((w) => w.toLowerCase()));
  for (const def of resolveTasks(tasks)) {
    const ctx = taskContext(def, await loadTask(def, dataDir));
    for (const s of ctx.samples) for (const w of s) words.add(w.toLowerCase());
  }
  const lines: string[] = [];
  for (const w of [...words].sort()) {
    const i = wv.index.get(w);
    if (i === undefined || w.includes(' ') || w === '') continue;
    lines.push(`${w} ${Array.from(wv.vectors.subarray(i * wv.dim, (i + 1) * wv.dim), String).join(' ')}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return lines.length;
}
