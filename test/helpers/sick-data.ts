import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';

const WORDS = 'a man woman dog cat is playing running sitting on the grass in park with ball and red blue small big old young'.split(' ');
const LABELS = ['CONTRADICTION', 'NEUTRAL', 'ENTAILMENT'];

/**
 * SICK's three files, small: sentences drawn from a pool so that they repeat across pairs, as SICK's
 * do, and labels and scores such that SICK-E's sort (by label) and SICK-R's (by score) order tied
 * lengths differently. 120 train, 30 dev (trial), 40 test pairs under `dir`/SICK; returns `dir`.
 */
export function writeSickData(dir: string): string {
  mkdirSync(join(dir, 'SICK'), { recursive: true });
  const rng = new Rng(7);
  const pool = Array.from({ length: 90 }, () => Array.from({ length: 3 + rng.int(6) }, () => WORDS[rng.int(WORDS.length)]!).join(' '));
  let id = 1;
  const file = (name: string, n: number) => {
    const lines = ['pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment'];
    for (let i = 0; i < n; i++) {
      const score = (1 + rng.int(41) / 10).toFixed(1);
      lines.push(`${id++}\t${pool[rng.int(pool.length)]}\t${pool[rng.int(pool.length)]}\t${score}\t${LABELS[rng.int(3)]}`);
    }
    writeFileSync(join(dir, 'SICK', name), `${lines.join('\n')}\n`);
  };
  file('SICK_train.txt', 120);
  file('SICK_trial.txt', 30);
  file('SICK_test_annotated.txt', 40);
  return dir;
}
