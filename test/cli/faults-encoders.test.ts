/**
 * Issue 25, items 4–10: encoders' inputs and processes under faults, through the real CLI (item 7
 * through the library API). Every fault is refused in one line or handled, no process is left
 * running, no number changes. Servers and children here are fakes this file controls; nothing
 * depends on timing (requests and processes are counted, not timed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { repoRoot } from '../helpers/data.js';
import { readNpy } from '../../src/formats/npy.js';
import * as lib from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-faults-enc-'));
test.after(async () => {
  await lib.closeProbePool();
  rmSync(tmp, { recursive: true, force: true });
});
const fixtures = join(repoRoot(), 'test', 'fixtures');

/** Exactly one line on stderr (the error), no stack trace, the expected exit code. */
function assertOneLine(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.status, code, `exit ${r.status}, expected ${code}; stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, 'no stack trace');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
}

// ---------------------------------------------------------------------------------------------
// 4: .npy headers as NumPy defines them

test('4: --vectors written by NumPy as format 2.0 and 3.0 give the same vectors as 1.0; trailing bytes and Fortran order are refused as such', () => {
  const npy = join(fixtures, 'npy');
  const expected = JSON.parse(readFileSync(join(npy, 'expected.json'), 'utf8')) as { values: number[] };
  const encode = (file: string, out: string) =>
    runCli(['encode', '--quiet', '--encoder', 'vectors', '--vectors', join(npy, file), '--sentences', join(npy, 'sentences.jsonl'), '--input', join(npy, 'sentences.txt'), '--out', out]);
  for (const v of ['v1', 'v2', 'v3']) {
    const out = join(tmp, `4-${v}.npy`);
    const r = encode(`${v}.npy`, out);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...readNpy(readFileSync(out)).data], expected.values, `${v}: NumPy's values`);
  }
  const out = join(tmp, '4-bad.npy');
  assertOneLine(encode('trailing.npy', out), 2, /--vectors .*trailing\.npy: 8 trailing bytes after the data of shape \(5, 4\)/);
  assertOneLine(encode('truncated.npy', out), 2, /--vectors .*truncated\.npy: truncated: 76 data bytes/);
  assertOneLine(encode('fortran.npy', out), 2, /--vectors .*fortran\.npy: unsupported \.npy in Fortran order/);
  assert.ok(!existsSync(out), 'nothing written');
});

// ---------------------------------------------------------------------------------------------
// 7: the library checks what a SentenceEncoder returns, as the command and vectors encoders do

test('7: library evaluate() refuses NaN vectors, short data and wrong rows/cols in one UserError naming the encoder and batch; nothing written', async () => {
  const dataDir = join(fixtures, 'tasks', 'data');
  const dim = 4;
  const good = (batch: readonly (readonly string[])[]) => Float32Array.from(batch.flatMap((t) => [t.length, t.join('').length, 1, 0]));
  const cases: [string, (batch: readonly (readonly string[])[]) => lib.Matrix, RegExp][] = [
    ['nan', (b) => ({ rows: b.length, cols: dim, data: good(b).map((x, i) => (i === 5 ? NaN : x)) }), /row 1 holds NaN at column 1 \(vectors must be finite\)/],
    ['half', (b) => ({ rows: b.length, cols: dim, data: good(b).subarray(0, (b.length * dim) / 2) }), /its "data" has \d+ values, \d+ rows x 4 need \d+/],
    ['rows', (b) => ({ rows: b.length + 1, cols: dim, data: good(b) }), /returned \d+x4 for a batch of \d+ \(dim 4\)/],
    ['cols', (b) => ({ rows: b.length, cols: 3, data: good(b) }), /returned \d+x3 for a batch of \d+ \(dim 4\)/],
    ['array', (b) => ({ rows: b.length, cols: dim, data: Array.from(good(b)) as unknown as Float32Array }), /its "data" is Array, expected a Float32Array/],
  ];
  for (const [name, encode, message] of cases) {
    const encoder: lib.SentenceEncoder = {
      identity: { name: `bad-${name}`, dim, weightsHash: 'none', params: {} },
      batchIndependent: true,
      prepare: async () => '',
      encode: async (batch) => encode(batch),
      notes: () => [],
      close: async () => {},
    };
    const out = join(tmp, `7-${name}.json`);
    await assert.rejects(
      lib.evaluate(encoder, { tasks: [lib.resolveTask('SNLI')], dataDir, settings: lib.resolveSettings('fast'), seeds: [1111], outPath: out, progress: lib.silentProgress }),
      (e: unknown) => {
        assert.ok(e instanceof lib.UserError, `a UserError, got ${String(e)}`);
        assert.match(e.message, new RegExp(`^encoder 'bad-${name}', batch 0 \\(\\d+ sentences, starting ".*"\\): ${message.source}`));
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
    assert.ok(!existsSync(out), `${name}: no results written`);
  }
});
