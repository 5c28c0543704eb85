/**
 * `gensen-eval encode`: sentence vectors into a float32 `.npy`, in input order, in batches of
 * --batch-size in input order. GenSen (the default with --prefix1) keeps gensen.py's
 * get_representation semantics (no lowercasing or tokenization unless asked; faithful max pooling
 * depends on the batches) and its extra outputs; every other registered encoder gets the
 * sentences split on whitespace (or --tokenize'd), one `prepare` over all of them, then the batches.
 */
import { checkEncoderOutput } from '../encoders/check-output.js';
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { createEncoder } from '../encoders/factory.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../compute/device.js';
import { DEVICE_HELP } from './device.js';
import { createGensenEncoder, type GensenEncoder } from '../encoders/gensen/encoder.js';
import { NpyWriter } from '../formats/npy.js';
import { wordTokenize } from '../text/word-tokenize.js';
import { UserError } from '../util/errors.js';
import { pySplit } from '../util/pystr.js';
import { readSentences, readText } from '../util/sentences-file.js';
import { addEncoderFlags, encoderFlagValues } from './encoder-flags.js';
import { assertWritableOutput } from '../util/out-path.js';
import { refuseEmpty } from './flags.js';
import { pyFileLines } from '../util/pystr.js';
import { runCommand } from './run-command.js';
import { examplesEpilogue } from './examples.js';
import { withConfigDefaults } from './config-defaults.js';

export { readSentences };

export interface EncodeArgs {
  encoder?: string;
  device?: DeviceChoice;
  modelsDir: string;
  prefix1?: string;
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
  /** Options of the other encoders, by camelCase name. */
  [encoderOption: string]: unknown;
}

/** Flags this command defines itself, with GenSen's encode semantics. */
const OWN = new Set(['prefix1', 'prefix2', 'models-dir', 'pool', 'max-pool', 'glove']);

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
  refuseEmpty(a as unknown as Record<string, unknown>, ['models-dir', 'prefix1', 'prefix2', 'glove', 'vocab', 'input', 'out']);
  const name = a.encoder ?? (a.prefix1 ? 'gensen' : undefined);
  if (!name) throw new UserError('name an encoder: --encoder NAME, or --prefix1 for GenSen');
  if (name !== 'gensen') return runEncodeOther(name, a, log);
  if (!a.prefix1) throw new UserError('--encoder gensen needs --prefix1: GenSen model prefix, e.g. nli_large_bothskip');
  if (a.vocab && !a.glove) throw new UserError('--vocab lists the words to expand the vocabulary to: it needs --glove');
  // Outputs are checked before the models are loaded: a bad --out must not cost the encoding.
  assertWritableOutput(a.out);
  if (a.allStates) for (const p of Object.values(statesPaths(a.out))) assertWritableOutput(p, '--out (--all-states)');
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
    ...(a.device ? { device: a.device } : {}),
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

/** Any registered encoder other than GenSen: whitespace tokens (or --tokenize), input order. */
async function runEncodeOther(name: string, a: EncodeArgs, log: (m: string) => void): Promise<{ rows: number; dim: number }> {
  const gensenOnly = (
    [
      ['prefix1', a.prefix1],
      ['prefix2', a.prefix2],
      ['glove', a.glove],
      ['vocab', a.vocab],
      ['all-states', a.allStates || undefined],
    ] as const
  ).find(([, v]) => v !== undefined);
  if (gensenOnly) throw new UserError(`--${gensenOnly[0]} is an option of --encoder gensen, not ${name}`);
  assertWritableOutput(a.out);
  if (existsSync(a.out) && !a.force) throw new UserError(`${a.out} exists: pass --force to overwrite it, or another --out`);
  const sentences = readSentences(a.input, a.format ?? (a.input === '-' ? 'txt' : a.input.endsWith('.jsonl') ? 'jsonl' : 'txt'));
  const enc = await createEncoder({ ...(encoderFlagValues(a, OWN) as Record<string, string | number | boolean>), encoder: name, onNote: log, ...(a.device ? { device: a.device } : {}) });
  let w: NpyWriter | undefined;
  try {
    const tokens = sentences.map((s) => {
      const t = a.lowercase ? s.toLowerCase() : s;
      return a.tokenize ? wordTokenize(t) : pySplit(t);
    });
    await enc.prepare({ taskId: 'encode', samples: tokens });
    const dim = enc.identity.dim;
    w = new NpyWriter(a.out, '<f4', [tokens.length, dim]);
    for (let i = 0; i < tokens.length; i += a.batchSize) {
      const batch = tokens.slice(i, i + a.batchSize);
      const m = checkEncoderOutput(await enc.encode(batch), batch.length, dim, { encoder: enc.identity.name, index: i / a.batchSize, first: batch[0]! });
      w.append(m.data);
      log(`encoded ${Math.min(tokens.length, i + a.batchSize)}/${tokens.length}`);
    }
    w.close();
    return { rows: tokens.length, dim };
  } catch (e) {
    w?.abort();
    throw e;
  } finally {
    await enc.close();
  }
}

function builder(y: Argv): Argv<EncodeArgs> {
  return withConfigDefaults(declare(y), 'encode');
}

function declare(y: Argv): Argv<EncodeArgs> {
  return addEncoderFlags(y, 'Sentence encoder (default: gensen with --prefix1)', OWN)
    .option('models-dir', { type: 'string', default: '.', describe: 'Folder with <prefix>.model and <prefix>_vocab.pkl' })
    .option('prefix1', { type: 'string', describe: 'GenSen model prefix, e.g. nli_large_bothskip' })
    .option('prefix2', { type: 'string', describe: 'Second model; vectors are [prefix1 ; prefix2]' })
    .option('pool', { choices: ['last', 'max'] as const, default: 'last' as const, describe: 'last: [h_bwd ; h_fwd] final states; max: max over time' })
    .option('max-pool', { choices: ['faithful', 'masked'] as const, default: 'faithful' as const, describe: "faithful: max over the batch's zero padding too, as gensen.py; masked: ignore padding" })
    .option('batch-size', { type: 'number', default: 128, describe: 'Sentences per batch (in input order)' })
    .option('device', { choices: DEVICE_CHOICES, default: 'cpu' as DeviceChoice, describe: DEVICE_HELP })
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
    .epilogue(
      examplesEpilogue([
        { command: 'encode --models-dir models --prefix1 nli_large_bothskip --input sents.txt --out vecs.npy', what: 'One 2048-d vector per line' },
        { command: 'encode --encoder http --url http://127.0.0.1:8080 --model bge-small --input sents.txt --out vecs.npy', what: 'Any other encoder' },
      ]),
    ) as unknown as Argv<EncodeArgs>;
}

export const encodeCommand: CommandModule<object, EncodeArgs> = {
  command: 'encode',
  describe: 'Encode sentences with any encoder (GenSen by default) into a .npy file',
  builder,
  handler: runCommand(async (a: EncodeArgs) => {
    // --quiet silences progress, not warnings (an HTTP retry).
    const log = (m: string) => void ((!a.quiet || m.startsWith('warning: ')) && process.stderr.write(`${m}\n`));
    const { rows, dim } = await runEncode(a, log);
    log(`wrote ${rows} x ${dim} float32 to ${a.out}${a.allStates ? ` (+ ${statesPaths(a.out).states}, ${statesPaths(a.out).lengths})` : ''}`);
  }),
};
