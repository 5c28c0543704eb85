import { encoderDefinition, resolveEncoderOptions, type OptionValue } from './registry.js';
import type { SentenceEncoder } from './types.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../compute/device.js';
import { UserError } from '../util/errors.js';

/**
 * `encoder` names a registered encoder; the other keys are its options by camelCase name (as the
 * CLI flags: `modelDir` is `--model-dir`). Unknown encoders, missing required options, values of the
 * wrong type and options of another encoder are refused with one line.
 */
export interface EncoderOptions {
  readonly encoder: string;
  readonly onNote?: (msg: string) => void;
  /** Where the encoder's heavy kernels run (encoders without a GPU path run on the CPU). */
  readonly device?: DeviceChoice;
  /** Which command drives it (see EncoderContext.use; default `evaluate`). */
  readonly use?: 'evaluate' | 'encode';
  readonly [option: string]: OptionValue | undefined | ((msg: string) => void);
}

/** One entry point for every encoder, so `evaluate` and the library treat them alike. */
export async function createEncoder(opts: EncoderOptions): Promise<SentenceEncoder> {
  const { encoder, onNote, device, use, ...rest } = opts;
  if (device !== undefined && !DEVICE_CHOICES.includes(device)) {
    throw new UserError(`device: '${String(device)}' is not one of ${DEVICE_CHOICES.join(', ')}`);
  }
  const def = encoderDefinition(encoder);
  const values = resolveEncoderOptions(encoder, rest);
  return def.create(values, { ...(onNote ? { onNote } : {}), ...(device ? { device } : {}), ...(use ? { use } : {}) });
}
