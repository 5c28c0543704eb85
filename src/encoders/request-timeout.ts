import type { EncoderOption } from './registry.js';

/**
 * The longest time-out a timer can hold: Node's setTimeout (and AbortSignal.timeout) take at most
 * 2^31 - 1 ms and turn anything longer into 1 ms, so a larger value is refused rather than becoming
 * an immediate time-out.
 */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** `--request-timeout`, shared by the encoders that wait on another program (command, http). */
export const REQUEST_TIMEOUT_OPTION: EncoderOption = {
  type: 'number',
  min: 0.001,
  max: MAX_TIMEOUT_SECONDS,
  help: 'command, http: seconds to wait for each reply; command: then the encoder is stopped (default 600); http: then the request is retried (default 60)',
};
