/**
 * `gensen-eval encode`: sentence vectors into a float32 `.npy`, in input order, in batches of
 * --encoder-batch-size. Every encoder is built through the registry (its options, defaults and
 * checks are its definition's) and gets the same tokens: each line through --lowercase/--tokenize
 * (src/text/sentence-tokens.ts), one `prepare` over all of them, then the batches. GenSen under
 * `encode` is gensen.py's get_representation: tokens as given, `best` pooling as `last`, expansion
 * with --glove only; --all-states is for encoders that declare per-token states.
 */
import { redactSecrets } from '../util/redact.js';
import { checkEncoderOutput } from '../encoders/check-output.js';
import { encodeConcurrency, inOrder } from '../encoders/encode-in-order.js';
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { createEncoder } from '../encoders/factory.js';
import { encoderDefinition, encoderNames, impliedEncoder, impliedEncoderHelp, resolveEncoderOptions } from '../encoders/registry.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../compute/device.js';
import { DEVICE_HELP } from '../compute/device-policy.js';
import { NpyWriter } from '../formats/npy.js';
import { sentenceTokens } from '../text/sentence-tokens.js';
import { UserError } from '../util/errors.js';
import { readSentences } from '../util/sentences-file.js';
import { addEncoderFlags, encoderFlagValues } from './encoder-flags.js';
import { assertWritableOutput } from '../util/out-path.js';
import { refuseEmpty } from './flags.js';
import { runCommand } from './run-command.js';
import { examplesEpilogue } from './examples.js';
import { withConfigDefaults } from './config-defaults.js';

export { readSentences };

/** Sentences per encoder call when --encoder-batch-size is not given (gensen_senteval.py's 128). */
export const ENCODE_BATCH_SIZE = 128;

export interface EncodeArgs {
  encoder?: string;
  device?: DeviceChoice;
  /** Sentences per encoder call, in input order (default ENCODE_BATCH_SIZE). */
  encoderBatchSize?: number;
  /** Deprecated alias of `encoderBatchSize` (warns once): `--batch-size` means the probe minibatch in `evaluate`. */
  batchSize?: number;
  lowercase: boolean;
  tokenize: boolean;
  input: string;
  out: string;
  allStates: boolean;
  quiet: boolean;
  force?: boolean;
  /** Input format; default from the extension (`.jsonl`), `txt` for stdin (`--input -`). */
  format?: 'txt' | 'jsonl';
  /** The encoder's options, by camelCase name (`modelsDir`, `prefix1`, `pool`, ...). */
  [encoderOption: string]: unknown;
}

/** 1-based numbers of the empty (or whitespace-only) sentences. */
export function emptyLines(sentences: readonly string[]): number[] {
  const out: number[] = [];
  sentences.forEach((s, i) => {
    if (s.trim() === '') out.push(i + 1);
  });
  return out;
}

function statesPaths(out: string): { states: string; lengths: string } {
  const base = out.endsWith('.npy') ? out.slice(0, -4) : out;
  return { states: `${base}.states.npy`, lengths: `${base}.lengths.npy` };
}

let warnedBatchSize = false;

/** --encoder-batch-size, or its deprecated alias --batch-size (said once per process). */
function encoderBatchSize(a: EncodeArgs, warn: (m: string) => void): number {
  if (a.batchSize !== undefined) {
    if (a.encoderBatchSize !== undefined && a.encoderBatchSize !== a.batchSize) {
      throw new UserError(`--batch-size ${a.batchSize} and --encoder-batch-size ${a.encoderBatchSize} contradict each other: give --encoder-batch-size only`);
    }
    if (!warnedBatchSize) {
      warnedBatchSize = true;
      warn('encode --batch-size is deprecated: use --encoder-batch-size (sentences per encoder call); --batch-size is the probe minibatch of evaluate');
    }
  }
  const n = a.encoderBatchSize ?? a.batchSize ?? ENCODE_BATCH_SIZE;
  const flag = a.encoderBatchSize === undefined && a.batchSize !== undefined ? '--batch-size (--encoder-batch-size)' : '--encoder-batch-size';
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got ${n}`);
  return n;
}

export async function runEncode(
  a: EncodeArgs,
  log: (m: string) => void = () => undefined,
  warn: (m: string) => void = (m) => process.stderr.write(`gensen-eval: warning: ${redactSecrets(m)}\n`),
): Promise<{ rows: number; dim: number }> {
  const batchSize = encoderBatchSize(a, warn);
  refuseEmpty(a as unknown as Record<string, unknown>, ['input', 'out']);
  const given = encoderFlagValues(a);
  const name = impliedEncoder(a.encoder, given);
  if (!name) throw new UserError(`name an encoder: --encoder NAME (${encoderNames().join(', ')}), or ${impliedEncoderHelp()}`);
  const def = encoderDefinition(name);
  resolveEncoderOptions(name, given); // an option of another encoder is refused before any work
  if (a.allStates && !def.tokenStates) {
    const have = encoderNames().filter((n) => encoderDefinition(n).tokenStates);
    throw new UserError(`--all-states is an option of --encoder ${have.join('/')}, not ${name}`);
  }
  // Outputs are checked before the encoder is built: a bad --out must not cost loading a model.
  const paths = a.allStates ? statesPaths(a.out) : undefined;
  assertWritableOutput(a.out);
  if (paths) for (const p of Object.values(paths)) assertWritableOutput(p, '--out (--all-states)');
  const outputs = paths ? [a.out, paths.states, paths.lengths] : [a.out];
  const existing = outputs.filter((p) => existsSync(p));
  if (existing.length > 0 && !a.force) throw new UserError(`${existing.join(', ')} exists: pass --force to overwrite it, or another --out`);
  const sentences = readSentences(a.input, a.format ?? (a.input === '-' ? 'txt' : a.input.endsWith('.jsonl') ? 'jsonl' : 'txt'));
  const empty = emptyLines(sentences);
  if (empty.length > 0) {
    const shown = empty.slice(0, 10).join(', ') + (empty.length > 10 ? `, … (${empty.length} in all)` : '');
    warn(
      `${a.input === '-' ? '<stdin>' : a.input}: ${empty.length} empty line(s) (${shown}); each still gets a row (the encoding of an empty sentence), so rows stay aligned with lines`,
    );
  }
  const enc = await createEncoder({
    ...(given as Record<string, string | number | boolean>),
    encoder: name,
    use: 'encode',
    onNote: log,
    ...(a.device ? { device: a.device } : {}),
  });
  const writers: NpyWriter[] = [];
  try {
    if (paths && !enc.encodeWithStates) throw new Error(`encoder ${name} declares tokenStates but has no encodeWithStates`);
    const tokens = sentences.map((s) => sentenceTokens(s, a));
    await enc.prepare({ taskId: 'encode', samples: tokens });
    const dim = enc.identity.dim;
    const N = tokens.length;
    const vecW = new NpyWriter(a.out, '<f4', [N, dim]);
    writers.push(vecW);
    let states: { w: NpyWriter; lens: NpyWriter; tMax: number } | undefined;
    if (paths) {
      const tMax = tokens.reduce((m, t) => Math.max(m, t.length + 2), 0);
      states = { w: new NpyWriter(paths.states, '<f4', [N, tMax, dim]), lens: new NpyWriter(paths.lengths, '<i4', [N]), tMax };
      writers.push(states.w, states.lens);
    }
    const batches: string[][][] = [];
    for (let i = 0; i < N; i += batchSize) batches.push(tokens.slice(i, i + batchSize));
    const depth = encodeConcurrency(enc);
    let done = 0;
    const logged = (n: number): void => {
      done += n;
      log(`encoded ${done}/${N}`);
    };
    if (states) {
      const s = states;
      await inOrder(
        depth,
        batches,
        (batch) => enc.encodeWithStates!(batch),
        (batch, _index, r) => {
          vecW.append(r.vectors.data);
          s.lens.append(r.states.lengths);
          for (let j = 0; j < batch.length; j++) {
            s.w.append(r.states.states[j]!);
            s.w.appendZeros((s.tMax - r.states.lengths[j]!) * dim);
          }
          logged(batch.length);
        },
      );
    } else {
      await inOrder(
        depth,
        batches,
        (batch) => enc.encode(batch),
        (batch, index, vectors) => {
          vecW.append(checkEncoderOutput(vectors, batch.length, dim, { encoder: enc.identity.name, index, first: batch[0]! }).data);
          logged(batch.length);
        },
      );
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
  return (
    addEncoderFlags(y, `Sentence encoder (default: ${impliedEncoderHelp()})`)
      .option('encoder-batch-size', { type: 'number', describe: `Sentences per encoder call, in input order (default ${ENCODE_BATCH_SIZE})` })
      .option('batch-size', { type: 'number', deprecated: 'use --encoder-batch-size', describe: 'Deprecated alias of --encoder-batch-size' })
      .option('device', { choices: DEVICE_CHOICES, default: 'cpu' as DeviceChoice, describe: DEVICE_HELP })
      .option('lowercase', { type: 'boolean', default: false, describe: 'Lowercase sentences first' })
      .option('tokenize', { type: 'boolean', default: false, describe: 'NLTK word_tokenize-compatible tokenization (else split on whitespace)' })
      // requiresArg: yargs would otherwise read '--input -' as an empty --input and a positional '-'.
      .option('input', {
        type: 'string',
        demandOption: true,
        requiresArg: true,
        describe: '.txt (one sentence per line), .jsonl (a JSON string or {"text": ...} per line), or - for stdin',
      })
      .option('format', { choices: ['txt', 'jsonl'] as const, describe: 'Input format (default: jsonl for .jsonl files, else txt; stdin is txt)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output .npy, float32 [sentences, dim]' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing --out (and its .states/.lengths files)' })
      .option('all-states', {
        type: 'boolean',
        default: false,
        describe:
          'Also write <out>.states.npy float32 [N, Tmax, dim] (per-token top-layer states incl. <s> and </s>, zero past each length) and <out>.lengths.npy int32 [N]',
      })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
      .epilogue(
        examplesEpilogue([
          { command: 'encode --models-dir models --prefix1 nli_large_bothskip --input sents.txt --out vecs.npy', what: 'One 2048-d vector per line' },
          { command: 'encode --encoder http --url http://127.0.0.1:8080 --model bge-small --input sents.txt --out vecs.npy', what: 'Any other encoder' },
        ]),
      ) as unknown as Argv<EncodeArgs>
  );
}

export const encodeCommand: CommandModule<object, EncodeArgs> = {
  command: 'encode',
  describe: 'Encode sentences with any encoder (GenSen by default) into a .npy file',
  builder,
  handler: runCommand(async (a: EncodeArgs) => {
    // --quiet silences progress, not warnings (an HTTP retry).
    const log = (m: string) => void ((!a.quiet || m.startsWith('warning: ')) && process.stderr.write(`${redactSecrets(m)}\n`));
    const { rows, dim } = await runEncode(a, log);
    log(`wrote ${rows} x ${dim} float32 to ${a.out}${a.allStates ? ` (+ ${statesPaths(a.out).states}, ${statesPaths(a.out).lengths})` : ''}`);
  }),
};
