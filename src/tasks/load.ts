/**
 * Loads a task's splits from a data folder in SentEval's `data/downstream` layout.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { protocolDefinition } from '../protocol/registry.js';
import type { TaskDefinition } from './definition.js';
import { findReader } from './readers.js';
import type { TextFile } from './readers/common.js';
import { missingFileError, readText } from './text.js';
import { pickOrigin, type Split, type TaskData } from './types.js';
import type { TextEncoding } from './definition.js';

export interface LoadOptions {
  /**
   * For tasks whose definition has `devAsTrain` (Quora): train on the dev file (minus a seeded
   * held-out part used as `dev`) and test on the test file, for folders without the training
   * split. The result carries the definition's note. Ignored by other tasks.
   */
  readonly devAsTrain?: boolean;
}

/** The first of the alternative paths that exists in the data folder, or undefined. */
export function findFile(dataDir: string, alternatives: string | readonly string[]): string | undefined {
  const alts = typeof alternatives === 'string' ? [alternatives] : alternatives;
  return alts.find((p) => existsSync(join(dataDir, p)));
}

export async function loadTask(def: TaskDefinition, dataDir: string, opts: LoadOptions = {}): Promise<TaskData> {
  const files: string[] = [];
  const notes: string[] = [];
  // The files read for the split being loaded, to name them when it turns out empty.
  let splitFiles: string[] = [];
  const open = async (alternatives: string | readonly string[], encoding: TextEncoding = def.encoding): Promise<TextFile> => {
    const rel = findFile(dataDir, alternatives);
    if (rel === undefined) {
      const alts = typeof alternatives === 'string' ? [alternatives] : alternatives;
      throw missingFileError(def.id, alts.join(' or '), alts.map((p) => join(dataDir, p)).join(', '));
    }
    if (!files.includes(rel)) files.push(rel);
    if (!splitFiles.includes(rel)) splitFiles.push(rel);
    return { shown: rel, text: await readText(join(dataDir, rel), rel, encoding) };
  };

  const reader = findReader(def.format.reader);
  if (!reader) throw new Error(`task ${def.id}: no reader '${def.format.reader}'`);

  const splits: Record<string, Split> = {};
  const dat = def.devAsTrain;
  const devAsTrain = dat !== undefined && opts.devAsTrain === true;
  for (const [name, src] of Object.entries(def.splits)) {
    if (devAsTrain && name === 'train') continue;
    if (dat !== undefined && !devAsTrain && name === 'train' && findFile(dataDir, src as string | readonly string[]) === undefined) {
      const alts = typeof src === 'string' ? [src] : (src as readonly string[]);
      throw new UserError(
        `${def.id}: no training file (looked for ${alts.join(', ')} in ${dataDir}); put the training split ` +
          `there, or pass ${dat.flag} to train on the dev split (minus a held-out part) and test on the test split`,
      );
    }
    splitFiles = [];
    const split = await reader.read(def, src, open);
    assertUsable(def, name, split, splitFiles);
    splits[name] = split;
  }
  if (devAsTrain && dat !== undefined) {
    const { kept, held } = holdOut(splits.dev, dat.heldOutSize, dat.seed, `${def.id} dev`);
    splits.train = kept;
    splits.dev = held;
    notes.push(dat.note);
  }
  if (def.heldOut !== undefined) {
    const h = def.heldOut;
    const { kept, held } = holdOut(splits[h.from], h.size, h.seed, `${def.id} ${h.from}`);
    splits[h.from] = kept;
    splits[h.to] = held;
  }
  return { splits: orderSplits(splits, def), files, notes };
}

/**
 * An empty split cannot be trained, selected on or scored (SentEval crashes or reports 0 / NaN),
 * and a relatedness split needs two rows for a correlation: refuse before any work.
 */
function assertUsable(def: TaskDefinition, name: string, split: Split, shown: readonly string[]): void {
  const n = split.y.length;
  // Gold scores are correlated with predictions: a correlation needs two rows.
  const need = protocolDefinition(def.protocol).labels === 'score' ? 2 : 1;
  if (n >= need) return;
  const what = n === 0 ? 'no rows' : `only ${n} row`;
  const why = n === 0 ? '' : ` (a correlation needs at least ${need})`;
  throw new UserError(`${def.id}: the ${name} split (${shown.join(', ')}) has ${what}${why}; check the file or get the data again`);
}

/**
 * Splits off `size` rows: those whose position in `Rng(seed).permutation(n)` is among the last
 * `size`. Both parts keep the original order.
 */
export function holdOut(split: Split, size: number, seed: number, what: string): { kept: Split; held: Split } {
  const n = split.y.length;
  if (size >= n) throw new UserError(`${what} has ${n} rows, too few to hold out ${size} for model selection`);
  const perm = new Rng(seed).permutation(n);
  const isHeld = new Uint8Array(n);
  for (let i = n - size; i < n; i++) isHeld[perm[i]] = 1;
  const pick = (want: number): Split => {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (isHeld[i] === want) idx.push(i);
    const a = idx.map((i) => split.a[i]);
    const y = idx.map((i) => split.y[i]);
    const origin = pickOrigin(split.origin, idx);
    return {
      a,
      ...(split.b === undefined ? {} : { b: idx.map((i) => (split.b as string[][])[i]) }),
      y,
      ...(origin ? { origin } : {}),
    };
  };
  return { kept: pick(0), held: pick(1) };
}

function orderSplits(s: Record<string, Split>, def?: TaskDefinition): Record<string, Split> {
  // A protocol of datasets (an STS year): the datasets in the definition's (SentEval's) order.
  if (def && protocolDefinition(def.protocol).splitNames === 'datasets') return s;
  const rank = (k: string): number => ['all', 'train', 'dev', 'test'].indexOf(k) + 1 || 5;
  const out: Record<string, Split> = {};
  for (const k of Object.keys(s).sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : 1))) out[k] = s[k];
  return out;
}
