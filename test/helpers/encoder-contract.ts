/**
 * The encoder contract (src/encoders/types.ts) as tests: every encoder's test file runs it. Shapes,
 * finite float32 rows, determinism, identity stability across instances, batch independence where
 * declared, and one-line UserErrors for bad options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEncoder, type EncoderOptions } from '../../src/encoders/factory.js';
import type { SentenceEncoder } from '../../src/encoders/types.js';
import { UserError } from '../../src/util/errors.js';
import { canonicalJson } from '../../src/util/hash.js';

export const CONTRACT_BATCH: readonly (readonly string[])[] = [
  ['A', 'man', 'is', 'playing', 'a', 'guitar', '.'],
  ['The', 'cat', 'sat', 'on', 'the', 'mat'],
  ['zzqxv', 'unknownish'],
  ['Two', 'dogs', 'run', 'through', 'a', 'field', 'of', 'tall', 'grass', 'near', 'the', 'river', '.'],
  ['yes'],
];

export interface ContractOptions {
  /** Options for `createEncoder` (registry path), or a factory when the encoder is built directly. */
  readonly make: EncoderOptions | (() => Promise<SentenceEncoder>);
  /** Option sets that must be refused with a one-line UserError matching `message`. */
  readonly bad?: readonly { readonly options: EncoderOptions; readonly message: RegExp }[];
  /** Largest absolute difference allowed between a row encoded alone and in a batch (default 0). */
  readonly batchTolerance?: number;
  readonly skip?: () => string | undefined;
}

export function encoderContract(label: string, c: ContractOptions): void {
  const make = () => (typeof c.make === 'function' ? c.make() : createEncoder(c.make));
  test(`encoder contract: ${label}`, async (t) => {
    const why = c.skip?.();
    if (why) {
      if (process.env.CI === 'true') throw new Error(why);
      t.skip(why);
      return;
    }
    const a = await make();
    const b = await make();
    try {
      const id = a.identity;
      assert.ok(id.name.length > 0, 'identity.name');
      assert.ok(Number.isInteger(id.dim) && id.dim > 0, `identity.dim ${id.dim}`);
      assert.equal(typeof id.weightsHash, 'string');
      assert.equal(canonicalJson(a.identity), canonicalJson(b.identity), 'two instances with the same options have the same identity');
      const key = await a.prepare({ taskId: 'CONTRACT', samples: CONTRACT_BATCH });
      assert.equal(typeof key, 'string');
      await b.prepare({ taskId: 'CONTRACT', samples: CONTRACT_BATCH });

      const m1 = await a.encode(CONTRACT_BATCH);
      assert.equal(m1.rows, CONTRACT_BATCH.length);
      assert.equal(m1.cols, id.dim);
      assert.ok(m1.data instanceof Float32Array);
      assert.equal(m1.data.length, m1.rows * m1.cols);
      assert.ok(m1.data.every(Number.isFinite), 'finite values');
      assert.ok(
        m1.data.some((x) => x !== 0),
        'not all zeros',
      );
      // Deterministic: the same batch again, and from the other instance.
      assert.deepEqual(await a.encode(CONTRACT_BATCH), m1);
      assert.deepEqual(await b.encode(CONTRACT_BATCH), m1);
      assert.equal(canonicalJson(a.identity), canonicalJson(id), 'identity does not change while encoding');

      if (a.batchIndependent) {
        const tol = c.batchTolerance ?? 0;
        for (let i = 0; i < CONTRACT_BATCH.length; i++) {
          const alone = await a.encode([CONTRACT_BATCH[i]!]);
          for (let j = 0; j < id.dim; j++) {
            const d = Math.abs(alone.data[j]! - m1.data[i * id.dim + j]!);
            assert.ok(d <= tol, `declared batch-independent, but row ${i} alone differs by ${d} at ${j}`);
          }
        }
      }
      assert.ok(Array.isArray(a.notes()));
    } finally {
      await a.close();
      await b.close();
    }
    for (const bad of c.bad ?? []) {
      await assert.rejects(createEncoder(bad.options), (e: unknown) => {
        assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
        assert.match(e.message, bad.message);
        assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
        return true;
      });
    }
  });
}
