import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncoder } from '../../src/encoders/factory.js';
import { embeddingsEndpoint, type HttpEncoder } from '../../src/encoders/http/http-encoder.js';
import { loadEmbeddedVectors } from '../../src/vectors/embedded.js';
import { silentProgress } from '../../src/evaluate/progress.js';
import { evaluate } from '../../src/evaluate/run.js';
import { resolveSettings } from '../../src/protocol/settings.js';
import { closeProbePool } from '../../src/protocol/index.js';
import type { RunResults } from '../../src/results/schema.js';
import { resolveTasks } from '../../src/tasks/registry.js';
import { UserError } from '../../src/util/errors.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { senteval } from '../helpers/data.js';
import { CONTRACT_BATCH, encoderContract } from '../helpers/encoder-contract.js';
import { startEmbeddingsServer, type EmbeddingsServer } from '../helpers/embeddings-server.js';
import { writeTaskWordVectors } from '../helpers/word-vectors-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-http-'));
const servers: EmbeddingsServer[] = [];
test.after(async () => {
  await closeProbePool();
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

const smallVectors = join(tmp, 'small.txt');
{
  const wv = loadEmbeddedVectors();
  const words = [...new Set(CONTRACT_BATCH.flat().map((w) => w.toLowerCase()))].filter((w) => wv.index.has(w));
  writeFileSync(
    smallVectors,
    words.map((w) => `${w} ${Array.from(wv.vectors.subarray(wv.index.get(w)! * 100, wv.index.get(w)! * 100 + 100), String).join(' ')}`).join('\n'),
  );
}
const serve = async (b: Parameters<typeof startEmbeddingsServer>[1] = {}, file = smallVectors) => {
  const s = await startEmbeddingsServer(file, b);
  servers.push(s);
  return s;
};
const main = await serve();

test('embeddingsEndpoint: base, /v1 and full endpoint URLs; bad URLs are one line', () => {
  assert.equal(embeddingsEndpoint('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/v1/embeddings');
  assert.equal(embeddingsEndpoint('http://127.0.0.1:8080/v1/'), 'http://127.0.0.1:8080/v1/embeddings');
  assert.equal(embeddingsEndpoint('https://api.example.com/openai/v1/embeddings'), 'https://api.example.com/openai/v1/embeddings');
  assert.throws(() => embeddingsEndpoint('localhost:8080'), /--url 'localhost:8080'/);
  assert.throws(() => embeddingsEndpoint('nonsense'), /is not a URL/);
});

encoderContract('http (OpenAI-compatible server on 127.0.0.1)', {
  make: { encoder: 'http', url: main.url, model: 'bow-test', fingerprint: 'v1' },
  bad: [
    { options: { encoder: 'http', model: 'm' }, message: /--encoder http needs --url/ },
    { options: { encoder: 'http', url: main.url }, message: /--encoder http needs --model/ },
    { options: { encoder: 'http', url: main.url, model: 'm', concurrency: 0 }, message: /--concurrency must be an integer >= 1/ },
    {
      options: { encoder: 'http', url: `${main.url}/nowhere/`, model: 'm', retries: 0 },
      message: /http encoder \(http:\/\/127\.0\.0\.1:\d+\/nowhere\/v1\/embeddings, model m\): HTTP 404: .*no route/,
    },
    {
      options: { encoder: 'http', url: main.url, model: 'm', apiKeyEnv: 'GENSEN_TEST_UNSET_KEY' },
      message: /--api-key-env GENSEN_TEST_UNSET_KEY: that environment variable is not set/,
    },
  ],
});

test('http encoder: rows by index, base64 with a fallback to float, requests split and concurrent', async () => {
  const bow = await createEncoder({ encoder: 'bow' });
  const want = await bow.encode(CONTRACT_BATCH);
  const reversed = await serve({ reverse: true });
  const e1 = await createEncoder({ encoder: 'http', url: reversed.url, model: 'm' });
  assert.deepEqual(await e1.encode(CONTRACT_BATCH), want);
  assert.deepEqual(reversed.formats, ['base64', 'base64']);

  const floats = await serve({ refuseBase64: true });
  const notes: string[] = [];
  const e2 = await createEncoder({ encoder: 'http', url: floats.url, model: 'm', onNote: (m) => notes.push(m) });
  assert.deepEqual(await e2.encode(CONTRACT_BATCH), want);
  // Refused once, then floats only.
  assert.deepEqual(floats.formats, ['base64', 'float', 'float']);
  assert.match(notes.join('\n'), /refused encoding_format "base64" \(HTTP 400\); using "float"/);

  // The server answers nothing until three requests are open at once: the encode completes only
  // if the client keeps three in flight, and it never opens a fourth.
  const gated = await serve();
  const e3 = await createEncoder({ encoder: 'http', url: gated.url, model: 'm', requestBatchSize: 1, concurrency: 3 });
  const before = gated.requests;
  assert.ok(CONTRACT_BATCH.length > 3);
  gated.gate(3);
  assert.deepEqual(await e3.encode(CONTRACT_BATCH), want);
  assert.equal(gated.requests - before, CONTRACT_BATCH.length, 'one request a sentence, none retried');
  assert.equal(gated.maxInFlight, 3);
});

test('http encoder: retries 429 and 5xx with back-off, then gives up with one line', async () => {
  const flaky = await serve({ failFirst: { count: 2, status: 429 } });
  const enc = (await createEncoder({ encoder: 'http', url: flaky.url, model: 'm' })) as HttpEncoder;
  assert.equal(flaky.requests, 3);
  assert.equal(enc.retried, 2);
  const down = await serve({ failFirst: { count: 100, status: 503 } });
  await assert.rejects(createEncoder({ encoder: 'http', url: down.url, model: 'm', retries: 2 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^http encoder \(http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings, model m\): HTTP 503: .*slow down.*, still after 2 retries$/);
    return true;
  });
  assert.equal(down.requests, 3);
  const hanging = await serve({ delayMs: 3000 });
  await assert.rejects(
    createEncoder({ encoder: 'http', url: hanging.url, model: 'm', retries: 1, requestTimeout: 0.2 }),
    /no answer within 0\.2 s, still after 1 retry/,
  );
  const gone = await startEmbeddingsServer(smallVectors);
  await gone.close();
  await assert.rejects(createEncoder({ encoder: 'http', url: gone.url, model: 'm', retries: 0 }), /cannot connect \(ECONNREFUSED\), still after 0 retries/);
});

test('http encoder end to end on real SICK-E and STS-B (--config fast): same metrics as --encoder bow; the API key is never recorded', async (t) => {
  const dataDir = senteval(t);
  if (!dataDir) return;
  const vectors = join(tmp, 'tasks.txt');
  await writeTaskWordVectors(vectors, dataDir, 'SICK-E,STS-B', ['hello']);
  const key = 'sk-test-5e3cr3t-never-written';
  const server = await serve({ apiKey: key, failFirst: { count: 1, status: 500 } }, vectors);
  const cache = join(tmp, 'cache');
  const out = join(tmp, 'http.json');
  const r = await runCliAsync(
    [
      'evaluate',
      '--encoder',
      'http',
      '--url',
      server.url,
      '--model',
      'bow-server',
      '--api-key-env',
      'GENSEN_TEST_KEY',
      '--fingerprint',
      'glove-6b-100d',
      '--concurrency',
      '2',
      '--request-batch-size',
      '50',
      '--tasks',
      'SICK-E,STS-B',
      '--config',
      'fast',
      '--out',
      out,
      '--progress',
    ],
    { GENSEN_EVAL_CACHE: cache, SENTEVAL_DATA: dataDir, GENSEN_TEST_KEY: key },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(server.authHeaders.every((h) => h === `Bearer ${key}`));
  assert.match(r.stderr, /HTTP 500: .*slow down.*; retry 1 of 5/);
  const text = readFileSync(out, 'utf8');
  const res = JSON.parse(text) as RunResults;
  assert.equal(res.encoder.name, 'bow-server');
  // Keyed on what the server answers for the start-up probe sentences, not on a declared name (issue 25).
  assert.match(res.encoder.weightsHash, /^probe:[0-9a-f]{64}$/);
  assert.equal(res.encoder.params.fingerprint, 'glove-6b-100d');
  assert.equal(res.encoder.dim, 100);
  for (const where of [text, r.stderr, r.stdout, ...readdirSync(cache, { recursive: true }).map(String)]) assert.ok(!where.includes(key), 'API key leaked');

  const bow = await evaluate(await createEncoder({ encoder: 'bow' }), {
    tasks: resolveTasks('SICK-E,STS-B'),
    dataDir,
    settings: resolveSettings('fast'),
    seeds: [1111],
    progress: silentProgress,
  });
  for (const task of ['SICK-E', 'STS-B']) {
    const a = res.tasks[task]!.metrics;
    const b = bow.tasks[task]!.metrics;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    for (const k of Object.keys(b)) assert.ok(Math.abs(a[k]! - b[k]!) <= 1e-9, `${task} ${k}: http ${a[k]} vs bow ${b[k]}`);
  }

  // Same fingerprint: the second run comes from the feature cache (only the dimension probe is sent).
  const before = server.requests;
  const again = await runCliAsync(
    [
      'evaluate',
      '--encoder',
      'http',
      '--url',
      server.url,
      '--model',
      'bow-server',
      '--api-key-env',
      'GENSEN_TEST_KEY',
      '--fingerprint',
      'glove-6b-100d',
      '--tasks',
      'SICK-E',
      '--config',
      'fast',
      '--out',
      join(tmp, 'again.json'),
    ],
    { GENSEN_EVAL_CACHE: cache, SENTEVAL_DATA: dataDir, GENSEN_TEST_KEY: key },
  );
  assert.equal(again.status, 0, again.stderr);
  assert.equal(server.requests - before, 1);
});

test('encode --encoder http: vectors of the input file in order, equal to --encoder bow', async () => {
  const input = join(tmp, 'in.txt');
  writeFileSync(input, `${CONTRACT_BATCH.map((t) => t.join(' ')).join('\n')}\n`);
  const out = join(tmp, 'http.npy');
  const r = await runCliAsync([
    'encode',
    '--encoder',
    'http',
    '--url',
    main.url,
    '--model',
    'm',
    '--batch-size',
    '2',
    '--input',
    input,
    '--out',
    out,
    '--quiet',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const { readNpy } = await import('../../src/formats/npy.js');
  const got = readNpy(readFileSync(out));
  assert.deepEqual(got.shape, [5, 100]);
  assert.deepEqual(got.data, (await (await createEncoder({ encoder: 'bow' })).encode(CONTRACT_BATCH)).data);
});
