import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncoderIdentity } from '../encoders/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { cacheDir } from '../util/cache-dir.js';
import { canonicalJson } from '../util/hash.js';
import type { Matrix } from '../util/matrix.js';

const MAGIC = 0x46454143; // 'FEAC'

/**
 * On-disk cache of encoded sentence lists, keyed by the encoder identity, its per-task state, the
 * batch size (outputs may depend on batch composition) and the sentences' text. A re-run with other
 * probe settings therefore never re-encodes.
 */
export class FeatureCache {
  readonly dir: string;

  constructor(dir = join(cacheDir(), 'features')) {
    this.dir = dir;
  }

  key(identity: EncoderIdentity, taskState: string, batchSize: number, sentences: readonly (readonly string[])[]): string {
    const h = createHash('sha256');
    h.update(canonicalJson({ identity, taskState, batchSize, format: 1 }));
    for (const s of sentences) {
      h.update('\u0002');
      h.update(s.join('\u0001'));
    }
    return h.digest('hex');
  }

  get(key: string): Matrix | undefined {
    const path = join(this.dir, `${key}.f32`);
    if (!existsSync(path)) return undefined;
    const buf = readFileSync(path);
    if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC) return undefined;
    const rows = buf.readUInt32LE(4);
    const cols = buf.readUInt32LE(8);
    if (buf.length !== 12 + rows * cols * 4) return undefined;
    const data = new Float32Array(rows * cols);
    new Uint8Array(data.buffer).set(buf.subarray(12));
    return { rows, cols, data };
  }

  put(key: string, m: Matrix): void {
    const header = Buffer.alloc(12);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(m.rows, 4);
    header.writeUInt32LE(m.cols, 8);
    writeFileAtomic(
      join(this.dir, `${key}.f32`),
      Buffer.concat([header, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)]),
    );
  }
}
