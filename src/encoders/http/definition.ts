import type { EncoderDefinition } from '../registry.js';
import { REQUEST_TIMEOUT_OPTION } from '../request-timeout.js';
import { DEFAULT_HTTP_TIMEOUT_SECONDS, HttpEncoder } from './http-encoder.js';

export const definition: EncoderDefinition = {
  name: 'http',
  order: 11,
  describe: 'An OpenAI-compatible /v1/embeddings server (vLLM, TEI, Ollama, llama.cpp, hosted APIs)',
  options: {
    url: { type: 'string', required: true, help: 'http: server URL (http://host:port, …/v1, or the …/embeddings endpoint)' },
    model: { type: 'string', required: true, help: 'http: model name sent with each request' },
    requestBatchSize: { type: 'number', integer: true, min: 1, default: 64, help: 'http: sentences per request' },
    concurrency: { type: 'number', integer: true, min: 1, default: 4, help: 'http: requests in flight at once' },
    apiKeyEnv: { type: 'string', help: 'http: environment variable holding the API key (sent as Bearer; never recorded)' },
    requestTimeout: REQUEST_TIMEOUT_OPTION,
    retries: { type: 'number', integer: true, min: 0, default: 5, help: 'http: retries on 429, 5xx, time-outs (exponential back-off)' },
    fingerprint: {
      type: 'string',
      default: '',
      help: 'http: your label for the served model version; change it when the model changes (it keys the feature cache)',
    },
  },
  async create(o, ctx) {
    return HttpEncoder.connect({
      url: o.url as string,
      model: o.model as string,
      requestBatchSize: o.requestBatchSize as number,
      concurrency: o.concurrency as number,
      ...(o.apiKeyEnv ? { apiKeyEnv: o.apiKeyEnv as string } : {}),
      timeoutSeconds: (o.requestTimeout as number | undefined) ?? DEFAULT_HTTP_TIMEOUT_SECONDS,
      retries: o.retries as number,
      fingerprint: o.fingerprint as string,
      ...(ctx.onNote ? { onNote: ctx.onNote } : {}),
    });
  },
};
