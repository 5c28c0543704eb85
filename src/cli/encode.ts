/**
 * `gensen-eval encode`: sentence vectors from GenSen model(s) into a float32 `.npy`, with
 * gensen.py's get_representation semantics (no lowercasing or tokenization unless asked, input
 * order kept, batches of --batch-size in input order: faithful max pooling depends on them).
 */
import { readFileSync, existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { createGensenEncoder, type GensenEncoder } from '../encoders/gensen/encoder.js';
import { NpyWriter } from '../formats/npy.js';
import { fileError, lineError, UserError } from '../util/errors.js';
import { assertWritableOutput } from '../util/out-path.js';
import { refuseEmpty } from './flags.js';
import { pyFileLines } from '../util/pystr.js';
import { runCommand } from './run-command.js';

export interface EncodeArgs {
  modelsDir: string;
  prefix1: string;
  prefix2?: string;
  pool: 'last' | 'max';
  maxPool: 'faithful' | 'masked';
  batchSize: number;
  glove?: string;
  vocab?: string;
  lowercase: boolean;
  tokenize: boolean;
  input: string;
  out: string;
  allStates: boolean;
  quiet: boolean;
}

function readText(path: string): string {
  if (!existsSync(path)) throw new UserError(`input file not found: ${path}`);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw fileError(path, 'read', e);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new UserError(`${path}: not valid UTF-8 text`);
  }
}

/** `.jsonl`: one JSON string per line; anything else: one sentence per line. */
export function readSentences(path: string): string[] {
  const text = readText(path);
  const lines = pyFileLines(text);
  if (!path.endsWith('.jsonl')) return lines;
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw lineError(path, i + 1, 'expected a JSON string (one sentence per line), got invalid JSON');
    }
    if (typeof v !== 'string') throw lineError(path, i + 1, `expected a JSON string (one sentence per line), got ${v === null ? 'null' : typeof v}`);
    return v;
  });
}

/** `--vocab`: a JSON array of strings, or one word per line. */
export function readVocabulary(path: string): string[] {
  const text = readText(path);
  if (path.endsWith('.json')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new UserError(`${path}: expected a JSON array of words, got invalid JSON`);
    }
    if (!Array.isArray(v) || v.some((w) => typeof w !== 'string')) throw new UserError(`${path}: expected a JSON array of strings`);
    return v as string[];
  }
  return pyFileLines(text).filter((w) => w !== '');
}

function statesPaths(out: string): { states: string; lengths: string } {
  const base = out.endsWith('.npy') ? out.slice(0, -4) : out;
  return { states: `${base}.states.npy`, lengths: `${base}.lengths.npy` };
}

export async function runEncode(a: EncodeArgs, log: (m: string) => void = () => undefined): Promise<{ rows: number; dim: number }> {
  if (!Number.isInteger(a.batchSize) || a.batchSize < 1) throw new UserError(`--batch-size must be a positive integer, got ${a.batchSize}`);
  refuseEmpty(a as unknown as Record<string, unknown>, ['models-dir', 'prefix1', 'prefix2', 'glove', 'vocab', 'input', 'out']);
  if (a.vocab && !a.glove) throw new UserError('--vocab lists the words to expand the vocabulary to: it needs --glove');
  // Outputs are checked before the models are loaded: a bad --out must not cost the encoding.
  assertWritableOutput(a.out);
  if (a.allStates) for (const p of Object.values(statesPaths(a.out))) assertWritableOutput(p, '--out (--all-states)');
  const sentences = readSentences(a.input);
  const enc: GensenEncoder = await createGensenEncoder({
    modelsDir: a.modelsDir,
    prefix1: a.prefix1,
    ...(a.prefix2 ? { prefix2: a.prefix2 } : {}),
    pool: a.pool,
    maxPool: a.maxPool,
    ...(a.glove ? { glove: a.glove } : {}),
    lowercase: a.lowercase,
    tokenize: a.tokenize,
    onProgress: log,
    onNote: log,
  });
  const writers: NpyWriter[] = [];
  try {
    const tokens = sentences.map((s) => enc.tokenizeText(s));
    if (a.glove) {
      const words = a.vocab ? readVocabulary(a.vocab) : [...new Set(tokens.flat())];
      await enc.expandTo(words, a.vocab ? a.vocab : a.input);
    }
    const dim = enc.identity.dim;
    const N = tokens.length;
    const vecW = new NpyWriter(a.out, '<f4', [N, dim]);
    writers.push(vecW);
    let statesW: NpyWriter | undefined;
    let lensW: NpyWriter | undefined;
    let tMax = 0;
    if (a.allStates) {
      tMax = tokens.reduce((m, t) => Math.max(m, t.length + 2), 0);
      const p = statesPaths(a.out);
      statesW = new NpyWriter(p.states, '<f4', [N, tMax, dim]);
      lensW = new NpyWriter(p.lengths, '<i4', [N]);
      writers.push(statesW, lensW);
    }
    for (let i = 0; i < N; i += a.batchSize) {
      const batch = tokens.slice(i, i + a.batchSize);
      const r = await enc.encodeTokens(batch, a.allStates);
      vecW.append(r.vectors.data);
      if (statesW && lensW && r.states) {
        lensW.append(r.states.lengths);
        r.states.states.forEach((s, j) => {
          statesW.append(s);
          statesW.appendZeros((tMax - r.states!.lengths[j]!) * dim);
        });
      }
      log(`encoded ${Math.min(N, i + a.batchSize)}/${N}`);
    }
    for (const w of writers) w.close();
    return { rows: N, dim };
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  } finally {
    await enc.close();
  }
}

function builder(y: Argv): Argv<EncodeArgs> {
  return y
    .option('models-dir', { type: 'string', default: '.', describe: 'Folder with <prefix>.model and <prefix>_vocab.pkl' })
    .option('prefix1', { type: 'string', demandOption: true, describe: 'GenSen model prefix, e.g. nli_large_bothskip' })
    .option('prefix2', { type: 'string', describe: 'Second model; vectors are [prefix1 ; prefix2]' })
    .option('pool', { choices: ['last', 'max'] as const, default: 'last' as const, describe: 'last: [h_bwd ; h_fwd] final states; max: max over time' })
    .option('max-pool', { choices: ['faithful', 'masked'] as const, default: 'faithful' as const, describe: "faithful: max over the batch's zero padding too, as gensen.py; masked: ignore padding" })
    .option('batch-size', { type: 'number', default: 128, describe: 'Sentences per batch (in input order)' })
    .option('glove', { type: 'string', describe: 'GloVe .txt/.txt.gz/.h5: expand the vocabulary (to --vocab, or the input tokens)' })
    .option('vocab', { type: 'string', describe: 'Words to expand to: .json array or one word per line (needs --glove)' })
    .option('lowercase', { type: 'boolean', default: false, describe: 'Lowercase sentences first' })
    .option('tokenize', { type: 'boolean', default: false, describe: 'NLTK word_tokenize-compatible tokenization (else split on whitespace)' })
    .option('input', { type: 'string', demandOption: true, describe: '.txt (one sentence per line) or .jsonl (one JSON string per line)' })
    .option('out', { type: 'string', demandOption: true, describe: 'Output .npy, float32 [sentences, dim]' })
    .option('all-states', {
      type: 'boolean',
      default: false,
      describe: 'Also write <out>.states.npy float32 [N, Tmax, dim] (per-token top-layer states incl. <s> and </s>, zero past each length) and <out>.lengths.npy int32 [N]',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
    .example('$0 encode --models-dir models --prefix1 nli_large_bothskip --input sents.txt --out vecs.npy', 'One 2048-d vector per line') as unknown as Argv<EncodeArgs>;
}

export const encodeCommand: CommandModule<object, EncodeArgs> = {
  command: 'encode',
  describe: 'Encode sentences with GenSen model(s) into a .npy file',
  builder,
  handler: runCommand(async (a: EncodeArgs) => {
    const log = a.quiet ? () => undefined : (m: string) => process.stderr.write(`${m}\n`);
    const { rows, dim } = await runEncode(a, log);
    log(`wrote ${rows} x ${dim} float32 to ${a.out}${a.allStates ? ` (+ ${statesPaths(a.out).states}, ${statesPaths(a.out).lengths})` : ''}`);
  }),
};
