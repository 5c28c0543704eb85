import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assembleModule, END, get, i32c, op, set, type KernelModule } from '../../src/probe/wasm/assemble.js';
import { decodeModule, disassemble } from '../../src/probe/wasm/disassemble.js';
import { LINEAR_KERNELS } from '../../src/probe/wasm/linear-kernels.js';
import { LISTINGS, listingText } from '../../src/probe/wasm/listings.js';
import { PAIR_KERNELS } from '../../src/probe/wasm/pair-kernels.js';
import { MLP_KERNELS } from '../../src/probe/wasm/mlp-kernels.js';
import { OPTIM_KERNELS } from '../../src/probe/wasm/optim.js';
import { LOGISTIC_KERNELS } from '../../src/probe/wasm/logistic-kernels.js';
import { SIGMOID_KERNELS } from '../../src/probe/wasm/sigmoid-kernels.js';
import { repoRoot } from '../helpers/data.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// Digests of the modules' bytes. The kernels' results, and the PyTorch trajectory fixtures they
// were matched with, are a function of these bytes: a change here is a change of behaviour, to be
// made on purpose with its tests. (optim: as assembled before the kernels moved to the shared
// opcode table, and what wabt's wat2wasm made of its listing. linear: since the float64 ↔ float32
// conversion functions were added after touch, and since forward groups two rows instead of four
// (its sums unchanged: test/probe/wasm-kernels.test.ts; the four-row form kept as forward4),
// since forwardLead joined them (forward's sums, four rows for the first weight row), and since
// backward takes its gradient rows two at a time (the same sums; every function declares the two
// locals that added).
// sigmoid: the MLP probe's activation, as introduced; its bytes did not change when its σ moved
// into sigmoidParts for the MLP module. mlp: the MLP's head and its blocked first-layer products,
// with the σ of sigmoidParts' fast form, since hiddenBackward reads two vectors of a row per
// iteration (the same sums). logistic: the two-class coefficients with fdlibm's
// exponential, as introduced. pair: SentEval's pair-feature combinations of streamed minibatches
// and the widening of half-width stores' codes, as introduced.)
const PINNED: readonly { readonly name: string; readonly module: KernelModule; readonly length: number; readonly sha256: string }[] = [
  { name: 'linear', module: LINEAR_KERNELS, length: 5259, sha256: 'c5939dd2e87bd1e3d8b9faefb6ee65fa05908af788d8aa15882e248b872ea1d8' },
  { name: 'optim', module: OPTIM_KERNELS, length: 474, sha256: 'af0ca642bf643e2a0f29138ebac799c716e5e54848ace8021cfed9d4d6656925' },
  { name: 'sigmoid', module: SIGMOID_KERNELS, length: 497, sha256: '4585bf970375311f40c464fb6c6a032113e13c893a1b0a7391d7397cacb37f06' },
  { name: 'logistic', module: LOGISTIC_KERNELS, length: 1736, sha256: '4cb27c815e1e1e23729cfe5f77ea05aeff1de776d4e15630ef3d3e50e2b96bae' },
  { name: 'mlp', module: MLP_KERNELS, length: 3529, sha256: '8ed8803610d6e87d08ac9b1d7ea177d3605cc7787697c67b4a5bd03bb687b040' },
  { name: 'pair', module: PAIR_KERNELS, length: 1155, sha256: '94c66cfc1875e2cadd5cc76303282e187c0cd3ccf4d51864f10ad38a7a67357c' },
];

test('the kernel modules assemble to the pinned bytes, and every listed module is pinned', () => {
  for (const pin of PINNED) {
    const bytes = assembleModule(pin.module);
    assert.equal(bytes.length, pin.length, `${pin.name}: length`);
    assert.equal(sha256(bytes), pin.sha256, `${pin.name}: sha256`);
    assert.ok(WebAssembly.validate(bytes), `${pin.name}: valid`);
  }
  for (const l of LISTINGS)
    assert.ok(
      PINNED.some((pin) => pin.module === l.module),
      `${l.file} has no pinned digest`,
    );
});

for (const l of LISTINGS) {
  test(`${l.file} is the disassembly of the module ${l.source} assembles (npm run wasm-listing rewrites it)`, () => {
    const committed = readFileSync(join(repoRoot(), l.file), 'utf8');
    assert.equal(committed, listingText(l));
    // Every function and export of the module is in the listing.
    for (const f of l.module.functions) {
      assert.ok(committed.includes(`(func $${f.name} (type 0)`), f.name);
      assert.ok(committed.includes(`(export "${f.name}" (func $${f.name}))`), f.name);
    }
  });
}

const tiny = (body: number[], localNames = ['', '']): KernelModule => ({
  params: ['i32', 'i32'],
  locals: [],
  functions: [{ name: 'f', body, localNames }],
});

test('the disassembler folds operands without reordering: values left below a statement print first', () => {
  // 1 stays on the stack while 2 is stored; then it is stored by the second local.set.
  const text = disassemble(assembleModule(tiny([...i32c(1), ...i32c(2), ...set(0), ...set(1), ...END], ['a', ''])), { f: ['a', ''] });
  assert.equal(
    text,
    [
      '(module',
      '  (type (;0;) (func (param i32 i32)))',
      '  (import "env" "mem" (memory (;0;) 1))',
      '  (func $f (type 0)',
      '    (param $a i32) (param (;1;) i32)',
      '    (i32.const 1)',
      '    (local.set $a (i32.const 2))',
      '    (local.set 1))',
      '  (export "f" (func $f)))',
      '',
    ].join('\n'),
  );
});

test('the disassembler prints immediates as WAT does', () => {
  const text = disassemble(assembleModule(tiny([...get(0), ...get(0), ...op('v128.load', 0, 0), ...op('v128.store', 48, 3), ...END])));
  assert.match(text, /\(v128\.store offset=48 align=8 \(local\.get 0\) \(v128\.load align=1 \(local\.get 0\)\)\)/);
  const consts = disassemble(
    assembleModule(tiny([...get(0), ...op('v128.const', ...Array.from({ length: 16 }, (_, i) => i)), ...op('v128.store'), ...i32c(-129), ...set(1), ...END])),
  );
  assert.match(consts, /\(v128\.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c\)/);
  assert.match(consts, /\(local\.set 1 \(i32\.const -129\)\)/);
});

test('the disassembler rejects bytes it cannot list faithfully', () => {
  const good = assembleModule(tiny([...i32c(5), ...set(0), ...END]));
  assert.doesNotThrow(() => decodeModule(good));
  const at = good.length - 5; // i32.const 5, local.set 0, end
  assert.deepEqual([...good.subarray(at)], [0x41, 5, 0x21, 0, 0x0b]);
  // An opcode outside the table (i32.eqz).
  const unknown = good.slice();
  unknown[at + 2] = 0x45;
  assert.throws(() => decodeModule(unknown), /opcode 0x45 not in the opcode table/);
  // A non-canonical LEB128: local.get 0 as 0x80 0x00 (same value, a byte the listing could not show).
  const padded = assembleModule(tiny([...i32c(5), 0x21, 0x80, 0x00, ...END]));
  assert.throws(() => decodeModule(padded), /local\.set not in canonical encoding/);
  // Bytes after the module.
  assert.throws(() => decodeModule(new Uint8Array([...good, 0])), /sections the kernels do not have/);
  // A truncated module.
  assert.throws(() => decodeModule(good.subarray(0, good.length - 1)), /unexpected end|runs past the end/);
});
