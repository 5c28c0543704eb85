/**
 * `--encoder vectors`: precomputed sentence vectors, for encoders that live elsewhere. Row i of the
 * `.npy` (float32 [N, D]) is the vector of line i of the `.jsonl` (one JSON string per line), and a
 * sentence is looked up by its exact string form: the task's tokens joined by single spaces, as
 * `gensen-eval sentences` writes them.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { readNpy } from '../../formats/npy.js';
import { fileError, UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import type { Matrix } from '../../util/matrix.js';
import { readSentences } from '../../util/sentences-file.js';
import type { EncoderIdentity, SentenceEncoder, TaskContext } from '../types.js';

/** The string a sentence is keyed by (also what `sentences` writes and the http encoder sends). */
export function sentenceText(tokens: readonly string[]): string {
  return tokens.join(' ');
}

function readFileBounded(path: string, what: string, maxBytes: number): Buffer {
  if (!existsSync(path)) throw new UserError(`${what} ${path}: file not found`);
  const st = statSync(path);
  if (!st.isFile()) throw new UserError(`${what} ${path}: ${st.isDirectory() ? 'is a folder' : 'is not a regular file'}; expected a file`);
  // One Buffer holds the file: the bound is also what this Node can allocate at once.
  const limit = Math.min(maxBytes, bufferConstants.MAX_LENGTH);
  if (st.size > limit) {
    throw new UserError(
      `${what} ${path}: ${st.size} bytes, more than the ${limit} bytes (${(limit / 2 ** 30).toFixed(1)} GiB) this reader accepts; encode fewer sentences per file (e.g. one run per task)`,
    );
  }
  const size = st.size;
  const buf = Buffer.alloc(size);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n <= 0) throw new UserError(`${what} ${path}: ended after ${off} of ${size} bytes (changed while being read?)`);
      off += n;
    }
  } catch (e) {
    throw e instanceof UserError ? e : fileError(path, 'read', e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return buf;
}

export class VectorsEncoder implements SentenceEncoder {
  readonly identity: EncoderIdentity;
  readonly batchIndependent = true;
  private readonly rowOf = new Map<string, number>();
  private readonly data: Float32Array;

  constructor(
    private readonly vectorsPath: string,
    private readonly sentencesPath: string,
  ) {
    const npyBuf = readFileBounded(vectorsPath, '--vectors', 2 ** 34);
    let npy: ReturnType<typeof readNpy>;
    try {
      npy = readNpy(npyBuf);
    } catch (e) {
      const msg = (e as Error).message;
      // NumPy saves float64 unless told otherwise: say the one-line fix.
      const fix = /dtype '[<>|=]f/.test(msg)
        ? `; save float32 vectors: np.save(path, vectors.astype(np.float32))`
        : ' (expected a float32 .npy of shape [sentences, dim])';
      throw new UserError(`--vectors ${vectorsPath}: ${msg}${fix}`);
    }
    const [rows, dim, ...more] = npy.shape;
    if (npy.dtype !== '<f4' || rows === undefined || dim === undefined || more.length > 0 || dim < 1) {
      throw new UserError(`--vectors ${vectorsPath}: ${npy.dtype} of shape [${npy.shape.join(', ')}], expected float32 [sentences, dim]`);
    }
    const sentences = readSentences(sentencesPath);
    if (!sentencesPath.endsWith('.jsonl'))
      throw new UserError(`--sentences ${sentencesPath}: expected a .jsonl file (one JSON string per line, as 'gensen-eval sentences' writes)`);
    if (sentences.length !== rows) {
      throw new UserError(
        `--sentences ${sentencesPath} has ${sentences.length} lines but --vectors ${vectorsPath} has ${rows} rows: row i must be line i's vector`,
      );
    }
    sentences.forEach((s, i) => {
      if (!this.rowOf.has(s)) this.rowOf.set(s, i);
    });
    this.data = npy.data as Float32Array;
    for (let i = 0; i < this.data.length; i++) {
      if (!Number.isFinite(this.data[i]!))
        throw new UserError(`--vectors ${vectorsPath}: row ${Math.floor(i / dim)} holds ${this.data[i]} (vectors must be finite)`);
    }
    this.identity = {
      name: 'vectors',
      dim,
      weightsHash: sha256(`${sha256(npyBuf)}:${sha256(readFileBounded(sentencesPath, '--sentences', 2 ** 34))}`),
      params: { vectors: basename(vectorsPath), sentences: basename(sentencesPath) },
    };
  }

  private missing(s: string, task?: string): UserError {
    const shown = s.length > 200 ? `${JSON.stringify(s.slice(0, 200))}…` : JSON.stringify(s);
    return new UserError(
      `--sentences ${this.sentencesPath} has no line ${shown}${task ? ` (needed by ${task})` : ''}: write the run's sentences with 'gensen-eval sentences --tasks … --out FILE.jsonl' and encode them all`,
    );
  }

  /** Every sentence of the task must be there: better to stop now than after other tasks ran. */
  async prepare(task: TaskContext): Promise<string> {
    for (const t of task.samples) {
      const s = sentenceText(t);
      if (!this.rowOf.has(s)) throw this.missing(s, task.taskId);
    }
    return '';
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    const dim = this.identity.dim;
    const out = new Float32Array(batch.length * dim);
    batch.forEach((t, i) => {
      const s = sentenceText(t);
      const r = this.rowOf.get(s);
      if (r === undefined) throw this.missing(s);
      out.set(this.data.subarray(r * dim, (r + 1) * dim), i * dim);
    });
    return { rows: batch.length, cols: dim, data: out };
  }

  notes(): string[] {
    return [
      `precomputed vectors ${basename(this.vectorsPath)} for the sentences of ${basename(this.sentencesPath)} (${this.rowOf.size} sentences, ${this.identity.dim}-d)`,
    ];
  }

  async close(): Promise<void> {}
}
