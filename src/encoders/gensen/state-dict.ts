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
    throw new UserError(
      `GenSen model '${prefix}' not found: expected ${model} and ${vocab} ` +
        `(missing: ${missing.join(', ')}); ${GENSEN_DOWNLOAD_HINT}`,
    );
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

/** Validates a loaded state dict as a 1- or 2-layer bidirectional GenSen GRU encoder. */
export function checkGensenStateDict(file: string, tensors: ReadonlyMap<string, Tensor>): GensenStateDict {
  const present = new Set(tensors.keys());
  const layers: 1 | 2 = present.has('encoder.weight_ih_l1') || present.has('encoder.weight_ih_l1_reverse') ? 2 : 1;
  const expected = gruKeys(layers);
  const missing = expected.filter((k) => !present.has(k));
  const unexpected = [...present].filter((k) => !expected.includes(k));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
    if (unexpected.length > 0) parts.push(`unexpected ${unexpected.slice(0, 10).map((k) => quoted(k)).join(', ')}${unexpected.length > 10 ? ', ...' : ''}`);
    throw new UserError(
      `${file}: not a GenSen encoder state dict (expected the ${expected.length} keys of a ${layers}-layer ` +
        `bidirectional GRU encoder): ${parts.join('; ')}`,
    );
  }
  const shape = (k: string): number[] => tensors.get(k)!.shape;
  const emb = shape('src_embedding.weight');
  const hh = shape('encoder.weight_hh_l0');
  if (emb.length !== 2) throw new UserError(`${file}: src_embedding.weight has shape [${emb.join(', ')}], expected [V, E]`);
  if (hh.length !== 2) throw new UserError(`${file}: encoder.weight_hh_l0 has shape [${hh.join(', ')}], expected [3H, H]`);
  const [V, E] = emb as [number, number];
  const H = hh[1]!;
  if (V < 4 || E < 1 || H < 1) throw new UserError(`${file}: degenerate GenSen sizes V=${V}, E=${E}, H=${H}`);
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
  return { vocabSize: V, embDim: E, hidden: H, layers, tensors };
}

/** Loads and validates a GenSen `<prefix>.model` checkpoint. */
export async function loadGensenStateDict(path: string): Promise<GensenStateDict> {
  return checkGensenStateDict(path, await loadStateDict(path));
}
