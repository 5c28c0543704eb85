import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runEncode, type EncodeArgs } from '../../../src/cli/encode.js';
import { npyHeader, readNpy } from '../../../src/formats/npy.js';

const FIX = join(process.cwd(), 'test', 'fixtures', 'gensen');
const EXP = join(FIX, 'expected');
const expected = JSON.parse(readFileSync(join(EXP, 'encodings.json'), 'utf8')) as {
  sentences: string[];
  cases: Record<string, { last: number[][]; max: number[][]; states: number[][][]; expansion?: { vocab: string[] }[] }>;
};

function args(dir: string, over: Partial<EncodeArgs>): EncodeArgs {
  return {
    modelsDir: FIX,
    prefix1: 'tiny1',
    pool: 'last',
    maxPool: 'faithful',
    encoderBatchSize: 8,
    lowercase: false,
    tokenize: false,
    input: join(dir, 'in.txt'),
    out: join(dir, 'out.npy'),
    allStates: false,
    quiet: true,
    ...over,
  };
}

function assertClose(data: Float32Array | Int32Array, want: number[][], what: string): void {
  const cols = want[0]!.length;
  assert.equal(data.length, want.length * cols, `${what}: size`);
  want.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(data[r * cols + c]! - v) <= 1e-5, `${what} [${r},${c}]`)));
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gensen-encode-'));
    try {
      writeFileSync(join(dir, 'in.txt'), expected.sentences.join('\n') + '\n');
      writeFileSync(join(dir, 'in.jsonl'), expected.sentences.map((s) => JSON.stringify(s)).join('\n') + '\n');
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('npy header: v1.0, 64-byte aligned, NumPy dict', () => {
  const h = npyHeader('<f4', [3, 4]);
  assert.equal(h.length % 64, 0);
  assert.deepEqual([...h.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const dict = new TextDecoder().decode(h.subarray(10));
  assert.match(dict, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 4\), \} *\n$/);
  assert.match(new TextDecoder().decode(npyHeader('<i4', [7]).subarray(10)), /'shape': \(7,\)/);
});

test(
  'encode writes one float32 row per input line, batched in input order (txt and jsonl agree)',
  withDir(async (dir) => {
    const r = await runEncode(args(dir, { pool: 'max', allStates: true }));
    assert.deepEqual(r, { rows: expected.sentences.length, dim: 12 });
    const vec = readNpy(readFileSync(join(dir, 'out.npy')));
    assert.deepEqual(vec.shape, [24, 12]);
    assertClose(vec.data, expected.cases['tiny1']!.max, 'max');
    const lens = readNpy(readFileSync(join(dir, 'out.lengths.npy')));
    const states = readNpy(readFileSync(join(dir, 'out.states.npy')));
    const want = expected.cases['tiny1']!.states;
    const tMax = Math.max(...want.map((s) => s.length));
    assert.deepEqual(
      [...lens.data],
      want.map((s) => s.length),
    );
    assert.deepEqual(states.shape, [24, tMax, 12]);
    want.forEach((s, i) => {
      const padded = [...s, ...Array.from({ length: tMax - s.length }, () => new Array(12).fill(0))];
      assertClose(states.data.subarray(i * tMax * 12, (i + 1) * tMax * 12), padded, `states ${i}`);
    });
    await runEncode(args(dir, { input: join(dir, 'in.jsonl'), out: join(dir, 'j.npy'), pool: 'max' }));
    assert.deepEqual(readFileSync(join(dir, 'j.npy')), readFileSync(join(dir, 'out.npy')));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  }),
);

test(
  'encode with --glove --vocab --lowercase matches the expanded PyTorch reference',
  withDir(async (dir) => {
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(expected.cases['tiny1+tiny2@MR']!.expansion![0]!.vocab));
    await runEncode(args(dir, { prefix2: 'tiny2', pool: 'max', lowercase: true, glove: join(EXP, 'tiny_glove.txt.gz'), vocab: join(dir, 'vocab.json') }));
    assertClose(readNpy(readFileSync(join(dir, 'out.npy'))).data, expected.cases['tiny1+tiny2@MR']!.max, 'expanded max');
  }),
);

test(
  "encode --glove with GenSen's .h5 (glove2h5.py's layout: UTF-8 bytes, ASCII charset) writes the .txt's bytes, equal to the original's expansion",
  withDir(async (dir) => {
    // scripts/fixtures/make_gensen_glove_h5.py: non-ASCII words shared with the models and in the word list.
    const ref = JSON.parse(readFileSync(join(EXP, 'py2-glove8u-encodings.json'), 'utf8')) as {
      sentences: string[];
      encodeVocab: string[];
      cases: Record<string, { max: number[][] }>;
    };
    writeFileSync(join(dir, 'py2.txt'), ref.sentences.join('\n') + '\n');
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(ref.encodeVocab));
    const outs: Buffer[] = [];
    for (const glove of ['py2-glove8u.txt', 'py2-glove8u.h5']) {
      const out = join(dir, `${glove}.npy`);
      await runEncode(
        args(dir, { prefix1: 'py2a', prefix2: 'py2b', pool: 'max', input: join(dir, 'py2.txt'), out, glove: join(EXP, glove), vocab: join(dir, 'vocab.json') }),
      );
      outs.push(readFileSync(out));
      assertClose(readNpy(readFileSync(out)).data, ref.cases['encode@py2a+py2b']!.max, glove);
    }
    assert.ok(outs[0]!.equals(outs[1]!), '.h5 and .txt give the same file');
  }),
);

test(
  'encode errors are one-line user errors and leave no output',
  withDir(async (dir) => {
    writeFileSync(join(dir, 'bad.jsonl'), '"ok"\n{"txt": "no"}\n');
    const isUserError = (re: RegExp) => (e: Error) => {
      assert.equal(e.name, 'UserError');
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    };
    await assert.rejects(
      runEncode(args(dir, { input: join(dir, 'bad.jsonl') })),
      isUserError(/bad\.jsonl:2: expected a JSON string or \{"text": "\.\.\."\} .*without a string "text" field/),
    );
    await assert.rejects(runEncode(args(dir, { prefix1: 'nli_large' })), isUserError(/nli_large\.model.*Maluuba\/gensen/));
    await assert.rejects(runEncode(args(dir, { encoderBatchSize: 0 })), isUserError(/--encoder-batch-size/));
    await assert.rejects(runEncode(args(dir, { vocab: join(dir, 'in.txt') })), isUserError(/needs --glove/));
    assert.equal(existsSync(join(dir, 'out.npy')), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  }),
);

test(
  'encode: {"text": ...} JSONL rows, stdin (--input -), a warning on empty lines, and no overwrite without --force',
  withDir(async (dir) => {
    await runEncode(args(dir, { pool: 'max' }));
    const want = readFileSync(join(dir, 'out.npy'));
    // Objects with a text field (other fields ignored) give the same vectors as plain lines.
    writeFileSync(join(dir, 'obj.jsonl'), expected.sentences.map((s, i) => JSON.stringify({ id: i, text: s })).join('\n') + '\n');
    await runEncode(args(dir, { input: join(dir, 'obj.jsonl'), out: join(dir, 'obj.npy'), pool: 'max' }));
    assert.deepEqual(readFileSync(join(dir, 'obj.npy')), want);
    // An existing --out is refused (and left as it was) unless --force.
    writeFileSync(join(dir, 'keep.npy'), 'precious');
    await assert.rejects(
      runEncode(args(dir, { out: join(dir, 'keep.npy') })),
      (e: Error) => e.name === 'UserError' && /keep\.npy exists: pass --force/.test(e.message),
    );
    assert.equal(readFileSync(join(dir, 'keep.npy'), 'utf8'), 'precious');
    await runEncode(args(dir, { out: join(dir, 'keep.npy'), pool: 'max', force: true }));
    assert.deepEqual(readFileSync(join(dir, 'keep.npy')), want);
    // Empty lines: warned about by line number, and still one row each.
    writeFileSync(join(dir, 'gaps.txt'), ['a b', '', 'c', '   ', 'd'].join('\n') + '\n');
    const warnings: string[] = [];
    const r = await runEncode(
      args(dir, { input: join(dir, 'gaps.txt'), out: join(dir, 'gaps.npy') }),
      () => undefined,
      (m) => warnings.push(m),
    );
    assert.equal(r.rows, 5);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /gaps\.txt: 2 empty line\(s\) \(2, 4\); each still gets a row/);
    // Standard input through the CLI, as a pipe would give it.
    const cli = spawnSync(
      process.execPath,
      [
        join(process.cwd(), 'dist', 'src', 'cli.js'),
        'encode',
        '--models-dir',
        FIX,
        '--prefix1',
        'tiny1',
        '--pool',
        'max',
        '--batch-size',
        '8',
        '--input',
        '-',
        '--out',
        join(dir, 'stdin.npy'),
        '--quiet',
      ],
      {
        input: expected.sentences.join('\n') + '\n',
        encoding: 'utf8',
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(readFileSync(join(dir, 'stdin.npy')), want);
  }),
);

test(
  'encode --batch-size is the deprecated alias of --encoder-batch-size: same vectors, one warning per process, a contradiction refused',
  withDir(async (dir) => {
    await runEncode(args(dir, { pool: 'max' }));
    const want = readFileSync(join(dir, 'out.npy'));
    const warnings: string[] = [];
    const { encoderBatchSize: _, ...viaAlias } = args(dir, { pool: 'max', out: join(dir, 'alias.npy') });
    await runEncode(
      { ...viaAlias, batchSize: 8 },
      () => undefined,
      (m) => warnings.push(m),
    );
    await runEncode(
      { ...viaAlias, batchSize: 8, out: join(dir, 'alias2.npy') },
      () => undefined,
      (m) => warnings.push(m),
    );
    assert.deepEqual(readFileSync(join(dir, 'alias.npy')), want);
    assert.deepEqual(readFileSync(join(dir, 'alias2.npy')), want);
    assert.equal(warnings.filter((w) => /--batch-size is deprecated: use --encoder-batch-size/.test(w)).length, 1);
    await assert.rejects(
      runEncode({ ...viaAlias, batchSize: 4, encoderBatchSize: 8, out: join(dir, 'x.npy') }),
      /--batch-size 4 and --encoder-batch-size 8 contradict each other/,
    );
    // GenSen's --pool defaults to best, which is last under encode (get_representation's default).
    await runEncode(args(dir, { pool: undefined, out: join(dir, 'best.npy') }));
    await runEncode(args(dir, { pool: 'last', out: join(dir, 'last.npy') }));
    assert.deepEqual(readFileSync(join(dir, 'best.npy')), readFileSync(join(dir, 'last.npy')));
    assertClose(readNpy(readFileSync(join(dir, 'last.npy'))).data, expected.cases['tiny1']!.last, 'last');
  }),
);
