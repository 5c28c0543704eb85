/**
 * `--encoder http`: any OpenAI-compatible embeddings server (vLLM, text-embeddings-inference,
 * Ollama, llama.cpp's server, hosted APIs). A sentence is the task's tokens joined by single
 * spaces; rows are placed by the response's `index`. The API key is read from the environment
 * variable the user names and is never put in identities, notes or messages.
 */
import { UserError } from '../../util/errors.js';
import type { Matrix } from '../../util/matrix.js';
import type { EncoderIdentity, SentenceEncoder } from '../types.js';
import { base64Float32 } from '../wire-vectors.js';

export interface HttpEncoderOptions {
  /** Server base (`http://host:port`, `…/v1`) or the full `…/embeddings` endpoint. */
  readonly url: string;
  readonly model: string;
  /** Sentences per request (default 64). */
  readonly requestBatchSize?: number;
  /** Requests in flight at once (default 4). */
  readonly concurrency?: number;
  /** Name of the environment variable holding the API key (sent as a Bearer token). */
  readonly apiKeyEnv?: string;
  /** Seconds before a request is abandoned and retried (default 60). */
  readonly timeoutSeconds?: number;
  /** Retries after the first attempt on 429, 5xx, time-outs and connection errors (default 5). */
  readonly retries?: number;
  /** First back-off in ms, doubled per retry (default 500; Retry-After wins when larger). */
  readonly backoffMs?: number;
  /** Declared by the user: change it when the served model changes (it keys the feature cache). */
  readonly fingerprint?: string;
  readonly onNote?: (msg: string) => void;
}

/** The endpoint for a user-given URL: `…/embeddings` as given, else `…/v1/embeddings`. */
export function embeddingsEndpoint(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--url '${url}' is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UserError(`--url '${url}': expected http:// or https://`);
  const path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/embeddings')) return u.href;
  u.pathname = path.endsWith('/v1') ? `${path}/embeddings` : `${path}/v1/embeddings`;
  return u.href;
}

class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const MAX_ERROR_BODY = 300;

export class HttpEncoder implements SentenceEncoder {
  identity!: EncoderIdentity;
  /** Embeddings of a sentence do not depend on the other inputs of a request. */
  readonly batchIndependent = true;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private format: 'base64' | 'float' = 'base64';
  /** Requests sent and retries made (for tests and diagnostics). */
  requests = 0;
  retried = 0;

  private constructor(private readonly o: HttpEncoderOptions) {
    this.endpoint = embeddingsEndpoint(o.url);
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (o.apiKeyEnv) {
      const key = process.env[o.apiKeyEnv];
      if (!key) throw new UserError(`--api-key-env ${o.apiKeyEnv}: that environment variable is not set`);
      this.headers.authorization = `Bearer ${key}`;
    }
  }

  /** Connects once (one sentence) to learn the dimension before the run starts. */
  static async connect(o: HttpEncoderOptions): Promise<HttpEncoder> {
    const enc = new HttpEncoder(o);
    const probe = await enc.post(['hello']);
    const dim = probe[0]!.length;
    if (dim < 1) throw enc.error('the server returned an empty embedding');
    enc.identity = {
      name: o.model,
      dim,
      weightsHash: `declared:${o.fingerprint ?? ''}`,
      params: { encoder: 'http', model: o.model, fingerprint: o.fingerprint ?? '' },
    };
    return enc;
  }

  private error(what: string): UserError {
    return new UserError(`http encoder (${this.endpoint}, model ${this.o.model}): ${what}`);
  }

  async prepare(): Promise<string> {
    return '';
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    const dim = this.identity.dim;
    const size = this.o.requestBatchSize ?? 64;
    const chunks: number[] = [];
    for (let i = 0; i < batch.length; i += size) chunks.push(i);
    const out = new Float32Array(batch.length * dim);
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const start = chunks[next++]!;
        const part = batch.slice(start, start + size);
        const rows = await this.post(part.map((t) => t.join(' ')));
        rows.forEach((r, i) => {
          if (r.length !== dim) throw this.error(`an embedding has dimension ${r.length}, expected ${dim}`);
          out.set(r, (start + i) * dim);
        });
      }
    };
    const workers = Array.from({ length: Math.min(this.o.concurrency ?? 4, chunks.length) }, worker);
    await Promise.all(workers);
    return { rows: batch.length, cols: dim, data: out };
  }

  /** One request with retries; rows in input order. */
  private async post(input: readonly string[]): Promise<Float32Array[]> {
    const retries = this.o.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(input);
      } catch (e) {
        if (!(e instanceof Retryable)) throw e;
        if (attempt >= retries) throw this.error(`${e.message}, still after ${retries} ${retries === 1 ? 'retry' : 'retries'}`);
        this.retried++;
        this.o.onNote?.(`warning: http encoder: ${e.message}; retry ${attempt + 1} of ${retries}`);
        const backoff = (this.o.backoffMs ?? 500) * 2 ** attempt;
        await new Promise((r) => setTimeout(r, Math.max(backoff, Math.min(e.retryAfterMs ?? 0, 60_000))));
      }
    }
  }

  private async attempt(input: readonly string[]): Promise<Float32Array[]> {
    this.requests++;
    const body = JSON.stringify({ model: this.o.model, input, encoding_format: this.format });
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.timeout((this.o.timeoutSeconds ?? 60) * 1000),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') throw new Retryable(`no answer within ${this.o.timeoutSeconds ?? 60} s`);
      throw new Retryable(`cannot connect (${err.cause?.code ?? err.cause?.message ?? err.message})`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 429 || res.status >= 500) {
      const ra = Number(res.headers.get('retry-after'));
      throw new Retryable(`HTTP ${res.status}${snippet(text)}`, Number.isFinite(ra) && ra > 0 ? ra * 1000 : undefined);
    }
    if (!res.ok) {
      // Servers without base64 support refuse the field; ask for floats from now on.
      if (this.format === 'base64' && (res.status === 400 || res.status === 422)) {
        this.format = 'float';
        this.o.onNote?.(`http encoder: the server refused encoding_format "base64" (HTTP ${res.status}); using "float"`);
        return this.attempt(input);
      }
      throw this.error(`HTTP ${res.status}${snippet(text)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.error(`the answer is not JSON${snippet(text)}`);
    }
    const data = (json as { data?: unknown }).data;
    if (!Array.isArray(data)) throw this.error('the answer has no "data" array (is this an OpenAI-compatible /v1/embeddings endpoint?)');
    if (data.length !== input.length) throw this.error(`${data.length} embeddings for ${input.length} inputs`);
    const rows: (Float32Array | undefined)[] = new Array(input.length);
    for (const [k, item] of data.entries()) {
      const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
      const i = index === undefined ? k : index;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= input.length || rows[i]) {
        throw this.error(`data[${k}].index is ${JSON.stringify(index)}: expected each of 0..${input.length - 1} once`);
      }
      let v: Float32Array | undefined;
      if (typeof embedding === 'string') v = base64Float32(embedding);
      else if (Array.isArray(embedding) && embedding.every((x) => typeof x === 'number')) v = Float32Array.from(embedding as number[]);
      if (!v) throw this.error(`data[${k}].embedding is neither base64 float32 nor an array of numbers`);
      if (!v.every(Number.isFinite)) throw this.error(`data[${k}].embedding holds a non-finite value`);
      rows[i] = v;
    }
    return rows as Float32Array[];
  }

  notes(): string[] {
    const fp = this.o.fingerprint ? `fingerprint ${JSON.stringify(this.o.fingerprint)}` : 'no fingerprint declared';
    return [`http encoder: model ${this.o.model} at ${this.endpoint} (${fp})`];
  }

  async close(): Promise<void> {}
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t ? `: ${t.length > MAX_ERROR_BODY ? `${t.slice(0, MAX_ERROR_BODY)}…` : t}` : '';
}
