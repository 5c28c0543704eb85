/**
 * `--encoder http`: any OpenAI-compatible embeddings server (vLLM, text-embeddings-inference,
 * Ollama, llama.cpp's server, hosted APIs). A sentence is the task's tokens joined by single
 * spaces; rows are placed by the response's `index`. The API key is read from the environment
 * variable the user names and is never put in identities, notes or messages.
 *
 * The server cannot say which weights it serves (llama.cpp-style servers ignore the model name), so
 * the identity that keys the feature cache and `--resume` is a hash of what the server answers for
 * fixed probe sentences, asked at every start.
 */
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import { MAX_TIMEOUT_SECONDS } from '../request-timeout.js';
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
  /** Seconds before a request (its whole answer included) is abandoned and retried (default 60). */
  readonly timeoutSeconds?: number;
  /** Retries after the first attempt on 429, 5xx, time-outs and connection errors (default 5). */
  readonly retries?: number;
  /** First back-off in ms, doubled per retry (default 500; Retry-After wins when larger). */
  readonly backoffMs?: number;
  /** The user's label for the served model; recorded, and part of the identity. */
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
export const DEFAULT_HTTP_TIMEOUT_SECONDS = 60;

/**
 * Sent at every start: the dimension is learnt from them, and the identity hashes their vectors.
 * Fixed forever: changing them changes every http encoder's identity.
 */
export const PROBE_SENTENCES: readonly string[] = [
  'hello',
  'A man is playing a guitar .',
  'The cat sat on the mat .',
  'two dogs run through a field of snow',
  'What is the capital of France ?',
  'the movie was not good at all',
];

/**
 * Significant digits of the probe vectors that enter the identity: servers that batch on a GPU may
 * differ in the last bits from one start to the next; a different model differs far more.
 */
const PROBE_DIGITS = 4;

/** The identity hash of the probe sentences' vectors. */
export function probeHash(rows: readonly Float32Array[]): string {
  return sha256(rows.map((r) => Array.from(r, (x) => (x === 0 ? '0' : x.toPrecision(PROBE_DIGITS))).join(',')).join('\n'));
}

/** Bytes an answer may have: generous for JSON floats of `dim` (until known, a large dim). */
function maxAnswerBytes(rows: number, dim: number | undefined): number {
  return (1 << 20) + rows * (dim ?? 1 << 16) * 32;
}

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
    const t = o.timeoutSeconds ?? DEFAULT_HTTP_TIMEOUT_SECONDS;
    if (!(t > 0 && t <= MAX_TIMEOUT_SECONDS)) throw new UserError(`--request-timeout ${t}: expected seconds > 0 and <= ${MAX_TIMEOUT_SECONDS}`);
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (o.apiKeyEnv) {
      const key = process.env[o.apiKeyEnv];
      if (!key) throw new UserError(`--api-key-env ${o.apiKeyEnv}: that environment variable is not set`);
      this.headers.authorization = `Bearer ${key}`;
    }
  }

  /**
   * Connects once before the run starts: one request with the probe sentences gives the dimension
   * and the identity (a hash of their vectors).
   */
  static async connect(o: HttpEncoderOptions): Promise<HttpEncoder> {
    const enc = new HttpEncoder(o);
    const probe = await enc.post(PROBE_SENTENCES);
    const dim = probe[0]!.length;
    if (dim < 1) throw enc.error('the server returned an empty embedding');
    const other = probe.findIndex((r) => r.length !== dim);
    if (other >= 0) throw enc.error(`embeddings of dimensions ${dim} and ${probe[other]!.length} for the start-up probe`);
    enc.identity = {
      name: o.model,
      dim,
      weightsHash: `probe:${probeHash(probe)}`,
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
        const backoff = Math.min((this.o.backoffMs ?? 500) * 2 ** attempt, MAX_TIMEOUT_SECONDS * 1000);
        await new Promise((r) => setTimeout(r, Math.max(backoff, Math.min(e.retryAfterMs ?? 0, 60_000))));
      }
    }
  }

  /**
   * The answer's body, decompressed, read within the request's time-out and up to `limit` bytes: a
   * body that is cut off or slower than the time-out is retried like a time-out; one larger than any
   * answer to this request could be is refused before more is read.
   */
  private async readBody(res: Response, signal: AbortSignal, limit: number): Promise<string> {
    if (!res.body) return '';
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          void reader.cancel().catch(() => undefined);
          throw this.error(
            `the answer is larger than ${limit} bytes, more than ${res.status === 200 ? 'embeddings of this request can take' : 'an error message takes'}`,
          );
        }
        chunks.push(value);
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      if (signal.aborted) throw new Retryable(`no complete answer within ${this.timeoutSeconds()} s`);
      const err = e as Error & { cause?: { code?: string; message?: string } };
      throw new Retryable(`the answer was cut off (${err.cause?.code ?? err.cause?.message ?? err.message})`);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  private timeoutSeconds(): number {
    return this.o.timeoutSeconds ?? DEFAULT_HTTP_TIMEOUT_SECONDS;
  }

  private async attempt(input: readonly string[]): Promise<Float32Array[]> {
    this.requests++;
    const body = JSON.stringify({ model: this.o.model, input, encoding_format: this.format });
    const signal = AbortSignal.timeout(this.timeoutSeconds() * 1000);
    let res: Response;
    try {
      res = await fetch(this.endpoint, { method: 'POST', headers: this.headers, body, signal });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || signal.aborted) throw new Retryable(`no answer within ${this.timeoutSeconds()} s`);
      throw new Retryable(`cannot connect (${err.cause?.code ?? err.cause?.message ?? err.message})`);
    }
    const text = await this.readBody(res, signal, res.ok ? maxAnswerBytes(input.length, this.identity?.dim) : 1 << 20);
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
    } catch (e) {
      // A connection closed early without a declared length ends the body early, not in error.
      if (/end of JSON input|Unterminated/i.test((e as Error).message)) throw new Retryable('the answer ended before its JSON did (cut off)');
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
