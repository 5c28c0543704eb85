/**
 * A GenSen encoder's files: where they are expected, and the checkpoint's key set and shapes
 * checked before any weight is used (docs/protocol.md §1.1).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { loadStateDict, type Tensor } from '../../formats/torch-checkpoint.js';
import { quoted } from '../../formats/pickle.js';

export interface GensenStateDict {
  readonly vocabSize: number;
  readonly embDim: number;
  /** Hidden size per direction. */
  readonly hidden: number;
  readonly layers: 1 | 2;
  /** Keyed as in the checkpoint (`src_embedding.weight`, `encoder.weight_ih_l0`, ...). */
  readonly tensors: ReadonlyMap<string, Tensor>;
}

export interface GensenFiles {
  readonly model: string;
  readonly vocab: string;
}

export const GENSEN_DOWNLOAD_HINT =
  'the GenSen authors publish the pretrained models (nli_large, nli_large_bothskip, nli_large_bothskip_parse, ' +
  'nli_large_bothskip_2layer) through data/models/download_models.sh in https://github.com/Maluuba/gensen';

/** `<dir>/<prefix>.model` and `<dir>/<prefix>_vocab.pkl`, or a UserError naming both. */
export function resolveGensenFiles(modelsDir: string, prefix: string): GensenFiles {
  const model = join(modelsDir, `${prefix}.model`);
  const vocab = join(modelsDir, `${prefix}_vocab.pkl`);
  const missing = [model, vocab].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new UserError(`GenSen model '${prefix}' not found: expected ${model} and ${vocab} ` + `(missing: ${missing.join(', ')}); ${GENSEN_DOWNLOAD_HINT}`);
  }
  return { model, vocab };
}

function gruKeys(layers: number): string[] {
  const keys = ['src_embedding.weight'];
  for (let l = 0; l < layers; l++) {
    for (const dir of ['', '_reverse']) {
      for (const p of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) keys.push(`encoder.${p}_l${l}${dir}`);
    }
  }
  return keys;
}

interface GensenShape {
  readonly vocabSize: number;
  readonly embDim: number;
  readonly hidden: number;
  readonly layers: 1 | 2;
}

/**
 * Embedding rows beyond the vocabulary: gensen.py sizes its Encoder from the checkpoint, not from
 * the vocabulary, so a vocabulary smaller than the embedding loads there (the extra rows are never
 * looked up) and so it does here. A vocabulary larger than the embedding is refused: gensen.py
 * would fail on its first word past the embedding (numpy IndexError in vocabulary expansion,
 * an index error in nn.Embedding when encoding). Extra rows are bounded, since they cost memory and
 * no word reaches them: more than this many times the vocabulary is not the model the vocabulary
 * was written for.
 */
export const MAX_UNUSED_ROWS_FACTOR = 2;

/** Checks a state dict's key set and shapes (declared or loaded) as a GenSen GRU encoder. */
export function checkGensenShapes(
  file: string,
  shapes: ReadonlyMap<string, readonly number[]>,
  vocab?: { readonly file: string; readonly size: number },
): GensenShape {
  const present = new Set(shapes.keys());
  const layers: 1 | 2 = present.has('encoder.weight_ih_l1') || present.has('encoder.weight_ih_l1_reverse') ? 2 : 1;
  const expected = gruKeys(layers);
  const missing = expected.filter((k) => !present.has(k));
  const unexpected = [...present].filter((k) => !expected.includes(k));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
    if (unexpected.length > 0)
      parts.push(
        `unexpected ${unexpected
          .slice(0, 10)
          .map((k) => quoted(k))
          .join(', ')}${unexpected.length > 10 ? ', ...' : ''}`,
      );
    throw new UserError(
      `${file}: not a GenSen encoder state dict (expected the ${expected.length} keys of a ${layers}-layer ` +
        `bidirectional GRU encoder): ${parts.join('; ')}`,
    );
  }
  const shape = (k: string): readonly number[] => shapes.get(k)!;
  const emb = shape('src_embedding.weight');
  const hh = shape('encoder.weight_hh_l0');
  if (emb.length !== 2) throw new UserError(`${file}: src_embedding.weight has shape [${emb.join(', ')}], expected [V, E]`);
  if (hh.length !== 2) throw new UserError(`${file}: encoder.weight_hh_l0 has shape [${hh.join(', ')}], expected [3H, H]`);
  const [V, E] = emb as [number, number];
  const H = hh[1]!;
  if (V < 4 || E < 1 || H < 1) throw new UserError(`${file}: degenerate GenSen sizes V=${V}, E=${E}, H=${H}`);
  if (vocab) {
    if (vocab.size > V) throw new UserError(`${vocab.file}: ${vocab.size} words but ${file} embeds only ${V}`);
    if (V > MAX_UNUSED_ROWS_FACTOR * vocab.size + 1024) {
      throw new UserError(
        `${file}: src_embedding.weight has ${V} rows for the ${vocab.size} words of ${vocab.file}; ` +
          `not the model this vocabulary belongs to (at most ${MAX_UNUSED_ROWS_FACTOR}x the vocabulary + 1024 rows are accepted)`,
      );
    }
  }
  const want = new Map<string, number[]>();
  for (let l = 0; l < layers; l++) {
    for (const dir of ['', '_reverse']) {
      want.set(`encoder.weight_ih_l${l}${dir}`, [3 * H, l === 0 ? E : 2 * H]);
      want.set(`encoder.weight_hh_l${l}${dir}`, [3 * H, H]);
      want.set(`encoder.bias_ih_l${l}${dir}`, [3 * H]);
      want.set(`encoder.bias_hh_l${l}${dir}`, [3 * H]);
    }
  }
  const wrong: string[] = [];
  for (const [k, w] of want) {
    const got = shape(k);
    if (got.length !== w.length || got.some((d, i) => d !== w[i])) wrong.push(`${k} is [${got.join(', ')}], expected [${w.join(', ')}]`);
  }
  if (wrong.length > 0) {
    throw new UserError(`${file}: misshapen GenSen tensors (V=${V}, E=${E}, H=${H} from the embedding and weight_hh_l0): ${wrong.join('; ')}`);
  }
  return { vocabSize: V, embDim: E, hidden: H, layers };
}

/**
 * NaN or infinite weights: PyTorch would run and return NaN vectors (which then train a probe on
 * garbage); refuse them, naming the tensor.
 */
function assertFinite(file: string, tensors: ReadonlyMap<string, Tensor>): void {
  for (const [k, t] of tensors) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (x - x !== 0) {
        throw new UserError(`${file}: tensor ${quoted(k)} holds a non-finite weight (${x} at element ${i}); the checkpoint is damaged`);
      }
    }
  }
}

/** Validates a loaded state dict as a 1- or 2-layer bidirectional GenSen GRU encoder. */
export function checkGensenStateDict(
  file: string,
  tensors: ReadonlyMap<string, Tensor>,
  vocab?: { readonly file: string; readonly size: number },
): GensenStateDict {
  const shapes = new Map<string, readonly number[]>();
  for (const [k, t] of tensors) shapes.set(k, t.shape);
  const s = checkGensenShapes(file, shapes, vocab);
  assertFinite(file, tensors);
  return { ...s, tensors };
}

/**
 * Loads and validates a GenSen `<prefix>.model` checkpoint; with the vocabulary's size, the
 * shapes are checked against it before any tensor data is read or inflated.
 */
export async function loadGensenStateDict(path: string, vocab?: { readonly file: string; readonly size: number }): Promise<GensenStateDict> {
  const tensors = await loadStateDict(path, { inspect: (declared) => void checkGensenShapes(path, declared, vocab) });
  return checkGensenStateDict(path, tensors, vocab);
}
