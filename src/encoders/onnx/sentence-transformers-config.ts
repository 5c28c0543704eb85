/**
 * What a sentence-transformers model folder says about pooling, normalisation and length:
 * `modules.json` (is there a Pooling module, a Normalize module), the Pooling module's
 * `config.json`, and `sentence_bert_config.json`'s `max_seq_length`. A plain Hugging Face folder
 * without them gets what sentence-transformers gives one: mean pooling, no normalisation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';

export type Pooling = 'mean' | 'cls';

export interface SentenceTransformersConfig {
  readonly pooling: Pooling;
  readonly normalize: boolean;
  /** Tokens per sentence after truncation, [CLS] and [SEP] included. */
  readonly maxLength: number;
  /** The files read, for the identity. */
  readonly files: readonly string[];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: not readable JSON (${(e as Error).message})`);
  }
}

/** A config file that must hold a JSON object (`null`, an array or a number is refused, naming the file). */
function readJsonObject(path: string): Record<string, unknown> {
  const v = readJson(path);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new UserError(`${path}: expected a JSON object, found ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
  return v as Record<string, unknown>;
}

const UNSUPPORTED = ['pooling_mode_max_tokens', 'pooling_mode_mean_sqrt_len_tokens', 'pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken'];

export function readSentenceTransformersConfig(dir: string): SentenceTransformersConfig {
  const files: string[] = [];
  let pooling: Pooling = 'mean';
  let normalize = false;
  const modulesPath = join(dir, 'modules.json');
  if (existsSync(modulesPath)) {
    files.push(modulesPath);
    const modules = readJson(modulesPath);
    if (!Array.isArray(modules)) throw new UserError(`${modulesPath}: expected a JSON array of modules`);
    for (const m of modules as { type?: unknown; path?: unknown }[]) {
      const type = String(m?.type ?? '');
      if (type.endsWith('.Normalize')) normalize = true;
      else if (type.endsWith('.Pooling')) {
        const p = join(dir, String(m.path ?? ''), 'config.json');
        if (!existsSync(p)) throw new UserError(`${modulesPath} names a Pooling module, but ${p} is missing`);
        files.push(p);
        const c = readJsonObject(p);
        const on = UNSUPPORTED.filter((k) => c[k] === true);
        if (on.length) throw new UserError(`${p}: ${on.join(', ')} is not supported (only pooling_mode_mean_tokens or pooling_mode_cls_token)`);
        if (c.pooling_mode_cls_token === true && c.pooling_mode_mean_tokens === true)
          throw new UserError(`${p}: both CLS and mean pooling are on; expected one`);
        if (c.pooling_mode_cls_token === true) pooling = 'cls';
        else if (c.pooling_mode_mean_tokens === true) pooling = 'mean';
        else throw new UserError(`${p}: no pooling mode is on (expected pooling_mode_mean_tokens or pooling_mode_cls_token)`);
      } else if (!type.endsWith('.Transformer') && type !== '') {
        throw new UserError(`${modulesPath}: module ${type} is not supported (Transformer, Pooling and Normalize are)`);
      }
    }
  }
  let maxLength: number | undefined;
  const stPath = join(dir, 'sentence_bert_config.json');
  if (existsSync(stPath)) {
    files.push(stPath);
    const v = readJsonObject(stPath).max_seq_length;
    if (v !== undefined && v !== null) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 2)
        throw new UserError(`${stPath}: max_seq_length ${JSON.stringify(v)}, expected an integer >= 2`);
      maxLength = v;
    }
  }
  if (maxLength === undefined) {
    const tc = join(dir, 'tokenizer_config.json');
    const cfg = join(dir, 'config.json');
    const a = existsSync(tc) ? readJsonObject(tc).model_max_length : undefined;
    const b = existsSync(cfg) ? readJsonObject(cfg).max_position_embeddings : undefined;
    const cands = [a, b].filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 2 && x < 1e7);
    maxLength = cands.length ? Math.min(...cands) : 512;
  }
  return { pooling, normalize, maxLength, files };
}
