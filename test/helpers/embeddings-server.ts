/**
 * A small OpenAI-compatible /v1/embeddings server on 127.0.0.1 for the http encoder's tests. Its
 * model is an independent bag of words: the mean of the word vectors of a GloVe text file over the
 * input split on single spaces, tokens matched lowercased, zeros when none is known.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface ServerBehaviour {
  /** Answer encoding_format "base64" with HTTP 400, as servers without base64 support do. */
  refuseBase64?: boolean;
  /** Answer the first N requests with this status (429 or 5xx) before serving. */
  failFirst?: { count: number; status: number; retryAfter?: number };
  /** Require `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Return the data items in reverse order (rows must be placed by index). */
  reverse?: boolean;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

export interface EmbeddingsServer {
  readonly url: string;
  readonly dim: number;
  requests: number;
  maxInFlight: number;
  formats: string[];
  authHeaders: (string | undefined)[];
  /**
   * Holds the next n requests unanswered until n are in flight at once, then answers them (and every
   * later one at once): a client that never has n requests open together never gets an answer, so
   * its concurrency is checked by a count, not by a clock.
   */
  gate(n: number): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function startEmbeddingsServer(vectorsFile: string, b: ServerBehaviour = {}): Promise<EmbeddingsServer> {
  const vectors = new Map<string, number[]>();
  let dim = 0;
  for (const line of readFileSync(vectorsFile, 'utf8').split('\n')) {
    const [w, ...rest] = line.trimEnd().split(' ');
    if (!w || rest.length === 0) continue;
    dim ||= rest.length;
    if (!vectors.has(w)) vectors.set(w, rest.map(Number));
  }
  const embed = (text: string): Float32Array => {
    const acc = new Float64Array(dim);
    let n = 0;
    for (const t of text.split(' ')) {
      const v = vectors.get(t.toLowerCase());
      if (!v) continue;
      n++;
      for (let j = 0; j < dim; j++) acc[j]! += v[j]!;
    }
    return Float32Array.from(acc, (x) => (n ? x / n : 0));
  };
  let inFlight = 0;
  let failed = 0;
  let held: (() => void)[] = [];
  let gate = 0;
  const state = { requests: 0, maxInFlight: 0, formats: [] as string[], authHeaders: [] as (string | undefined)[] };
  const server: Server = createServer(async (req, res) => {
    state.requests++;
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    if (gate > 0) {
      const open = new Promise<void>((r) => held.push(r));
      if (held.length === gate) {
        held.forEach((r) => r());
        held = [];
        gate = 0;
      }
      await open;
    }
    try {
      const body = JSON.parse(await readBody(req)) as { model: string; input: string[]; encoding_format?: string };
      state.formats.push(body.encoding_format ?? '');
      state.authHeaders.push(req.headers.authorization);
      if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
      const send = (status: number, obj: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(obj));
      };
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') return send(404, { error: { message: `no route ${req.method} ${req.url}` } });
      if (b.apiKey && req.headers.authorization !== `Bearer ${b.apiKey}`) return send(401, { error: { message: 'Incorrect API key provided' } });
      if (b.failFirst && failed < b.failFirst.count) {
        failed++;
        return send(b.failFirst.status, { error: { message: 'slow down' } }, b.failFirst.retryAfter ? { 'retry-after': String(b.failFirst.retryAfter) } : {});
      }
      if (body.encoding_format === 'base64' && b.refuseBase64) return send(400, { error: { message: 'encoding_format must be float' } });
      const data = body.input.map((text, index) => {
        const v = embed(text);
        const embedding = body.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v);
        return { object: 'embedding', index, embedding };
      });
      if (b.reverse) data.reverse();
      send(200, { object: 'list', model: body.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } });
    } finally {
      inFlight--;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const s: EmbeddingsServer = {
    url: `http://127.0.0.1:${port}`,
    dim,
    gate(n: number) {
      gate = n;
    },
    get requests() {
      return state.requests;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get formats() {
      return state.formats;
    },
    get authHeaders() {
      return state.authHeaders;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  } as EmbeddingsServer;
  return s;
}
