import type { EncoderDefinition } from '../registry.js';
import { REQUEST_TIMEOUT_OPTION } from '../request-timeout.js';
import { CommandEncoder, DEFAULT_REQUEST_TIMEOUT_SECONDS } from './command-encoder.js';

export const definition: EncoderDefinition = {
  name: 'command',
  order: 10,
  describe: 'Any program speaking the JSON Lines encoder protocol on stdin/stdout (README: Command encoders)',
  options: {
    command: { type: 'string', required: true, help: 'command: shell command line that starts the encoder, e.g. "python3 my_encoder.py"' },
    requestTimeout: REQUEST_TIMEOUT_OPTION,
  },
  async create(o) {
    return CommandEncoder.start({
      command: o.command as string,
      requestTimeoutSeconds: (o.requestTimeout as number | undefined) ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
    });
  },
};
