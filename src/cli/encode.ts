/**
 * `gensen-eval encode`: sentence vectors from GenSen model(s) into a float32 `.npy`, with
 * gensen.py's get_representation semantics (no lowercasing or tokenization unless asked, input
 * order kept, batches of --batch-size in input order: faithful max pooling depends on them).
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { createGensenEncoder, type GensenEncoder } from '../encoders/gensen/encoder.js';
import { NpyWriter } from '../formats/npy.js';
import { lineError, UserError } from '../util/errors.js';
import { pyFileLines } from '../util/pystr.js';
import { runCommand } from './run-command.js';
import { examplesEpilogue } from './examples.js';
import { withConfigDefaults } from './config-defaults.js';

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
  force?: boolean;
  /** Input format; default from the extension (`.jsonl`), `txt` for stdin (`--input -`). */
  format?: 'txt' | 'jsonl';
}

/** Inputs above this are refused before reading (the whole input is held in memory). */
const MAX_INPUT_BYTES = 2 ** 31 - 1;

function readText(path: string): string {
  // `-` is standard input (read whole: sentences are batched in input order).
  if (path !== '-' && !existsSync(path)) throw new UserError(`input file not found: ${path}`);
  if (path !== '-' && statSync(path).size > MAX_INPUT_BYTES) throw new UserError(`${path}: larger than ${MAX_INPUT_BYTES} bytes; split the input`);
  const buf = readFileSync(path === '-' ? 0 : path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new UserError(`${path}: not valid UTF-8 text`);
  }
}

/**
 * `.jsonl` (or `--format jsonl`): one JSON string, or an object with a string `text` field (the
 * shape most datasets export), per line; anything else: one sentence per line. `-` is stdin.
 */
export function readSentences(path: string, format: 'txt' | 'jsonl' = path.endsWith('.jsonl') ? 'jsonl' : 'txt'): string[] {
  const text = readText(path);
  const shown = path === '-' ? '<stdin>' : path;
  const lines = pyFileLines(text);
  if (format !== 'jsonl') return lines;
  const expected = 'expected a JSON string or {"text": "..."} (one sentence per line)';
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw lineError(shown, i + 1, `${expected}, got invalid JSON`);
    }
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const t = (v as Record<string, unknown>).text;
      if (typeof t === 'string') return t;
      throw lineError(shown, i + 1, `${expected}, got an object without a string "text" field`);
    }
    throw lineError(shown, i + 1, `${expected}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  });
}

/** 1-based numbers of the empty (or whitespace-only) sentences. */
export function emptyLines(sentences: readonly string[]): number[] {
  const out: number[] = [];
  sentences.forEach((s, i) => {
    if (s.trim() === '') out.push(i + 1);
  });
  return out;
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

export async function runEncode(
  a: EncodeArgs,
  log: (m: string) => void = () => undefined,
  warn: (m: string) => void = (m) => process.stderr.write(`gensen-eval: warning: ${m}\n`),
): Promise<{ rows: number; dim: number }> {
  if (!Number.isInteger(a.batchSize) || a.batchSize < 1) throw new UserError(`--batch-size must be a positive integer, got ${a.batchSize}`);
  if (a.vocab && !a.glove) throw new UserError('--vocab lists the words to expand the vocabulary to: it needs --glove');
  const outputs = a.allStates ? [a.out, statesPaths(a.out).states, statesPaths(a.out).lengths] : [a.out];
  const existing = outputs.filter((p) => existsSync(p));
  if (existing.length > 0 && !a.force) throw new UserError(`${existing.join(', ')} exists: pass --force to overwrite it, or another --out`);
  const sentences = readSentences(a.input, a.format ?? (a.input === '-' ? 'txt' : a.input.endsWith('.jsonl') ? 'jsonl' : 'txt'));
  const empty = emptyLines(sentences);
  if (empty.length > 0) {
    const shown = empty.slice(0, 10).join(', ') + (empty.length > 10 ? `, … (${empty.length} in all)` : '');
    warn(`${a.input === '-' ? '<stdin>' : a.input}: ${empty.length} empty line(s) (${shown}); each still gets a row (the encoding of an empty sentence), so rows stay aligned with lines`);
  }
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
  return withConfigDefaults(declare(y), 'encode');
}

function declare(y: Argv): Argv<EncodeArgs> {
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
    // requiresArg: yargs would otherwise read '--input -' as an empty --input and a positional '-'.
    .option('input', { type: 'string', demandOption: true, requiresArg: true, describe: '.txt (one sentence per line), .jsonl (a JSON string or {"text": ...} per line), or - for stdin' })
    .option('format', { choices: ['txt', 'jsonl'] as const, describe: 'Input format (default: jsonl for .jsonl files, else txt; stdin is txt)' })
    .option('out', { type: 'string', demandOption: true, describe: 'Output .npy, float32 [sentences, dim]' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out (and its .states/.lengths files)' })
    .option('all-states', {
      type: 'boolean',
      default: false,
      describe: 'Also write <out>.states.npy float32 [N, Tmax, dim] (per-token top-layer states incl. <s> and </s>, zero past each length) and <out>.lengths.npy int32 [N]',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
    .epilogue(examplesEpilogue([{ command: 'encode --models-dir models --prefix1 nli_large_bothskip --input sents.txt --out vecs.npy', what: 'One 2048-d vector per line' }])) as unknown as Argv<EncodeArgs>;
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
