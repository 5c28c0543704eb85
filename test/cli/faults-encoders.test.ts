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

const tmp = mkdtempSync(join(tmpdir(), 'gensen-eval-faults-enc-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
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
