import { encoderDefinition, encoderNames, resolveEncoderOptions, type OptionValue } from './registry.js';
import type { SentenceEncoder } from './types.js';

/** Built-in encoder names (the registry may hold more: see `registerEncoder`). */
export const ENCODER_NAMES = encoderNames();
export type EncoderName = string;

/**
 * `encoder` names a registered encoder; the other keys are its options by camelCase name (as the
 * CLI flags: `modelDir` is `--model-dir`). Unknown encoders, missing required options, values of the
 * wrong type and options of another encoder are refused with one line.
 */
export interface EncoderOptions {
  readonly encoder: EncoderName;
  readonly onNote?: (msg: string) => void;
  readonly [option: string]: OptionValue | undefined | ((msg: string) => void);
}

/** One entry point for every encoder, so `evaluate` and the library treat them alike. */
export async function createEncoder(opts: EncoderOptions): Promise<SentenceEncoder> {
  const { encoder, onNote, ...rest } = opts;
  const def = encoderDefinition(encoder);
  const values = resolveEncoderOptions(encoder, rest);
  return def.create(values, onNote ? { onNote } : {});
}
