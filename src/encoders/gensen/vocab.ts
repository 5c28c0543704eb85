/**
 * GenSen's `<prefix>_vocab.pkl`: `{'word2id': {word: id}, 'id2word': {id: word}}`, pickled by
 * Python 2 (protocol 0, byte strings read as latin-1). Any protocol is accepted; no globals are.
 */
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { UserError } from '../../util/errors.js';
import { pyTypeName, quoted, unpickle, type PyValue } from '../../formats/pickle.js';

export interface GensenVocab {
  readonly word2id: Map<string, number>;
  readonly id2word: string[];
}

export const GENSEN_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'] as const;

function word(file: string, v: PyValue | undefined): string {
  if (typeof v === 'string') return v;
  // Python 3 pickles of byte strings; latin-1 as for Python 2's str.
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  throw new UserError(`${file}: vocabulary word is a ${pyTypeName(v)}, not a string`);
}

/** Checks the decoded pickle and returns the vocabulary. */
export function parseVocab(file: string, data: Uint8Array): GensenVocab {
  const { value, end } = unpickle(data, { file });
  if (end !== data.length) throw new UserError(`${file}: ${data.length - end} unexpected bytes after the vocabulary pickle`);
  if (!(value instanceof Map) || !(value.get('word2id') instanceof Map) || !(value.get('id2word') instanceof Map)) {
    throw new UserError(`${file}: not a GenSen vocabulary (expected a dict with 'word2id' and 'id2word' dicts, got a ${pyTypeName(value)})`);
  }
  const w2iRaw = value.get('word2id') as Map<PyValue, PyValue>;
  const i2wRaw = value.get('id2word') as Map<PyValue, PyValue>;
  const n = i2wRaw.size;
  const id2word = new Array<string>(n);
  for (const [id, w] of i2wRaw) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n) {
      throw new UserError(`${file}: id2word has key ${String(id)}; expected the ids 0..${n - 1}`);
    }
    id2word[id] = word(file, w);
  }
  const word2id = new Map<string, number>();
  for (const [w, id] of w2iRaw) {
    const s = word(file, w);
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n) {
      throw new UserError(`${file}: word2id maps ${quoted(s)} to ${String(id)}; expected an id in 0..${n - 1}`);
    }
    if (id2word[id] !== s) throw new UserError(`${file}: word2id[${quoted(s)}] = ${id} but id2word[${id}] = ${quoted(id2word[id])}`);
    word2id.set(s, id);
  }
  if (word2id.size !== n) throw new UserError(`${file}: word2id has ${word2id.size} words but id2word has ${n}`);
  GENSEN_SPECIALS.forEach((sp, i) => {
    if (id2word[i] !== sp) {
      throw new UserError(`${file}: id ${i} is ${id2word[i] === undefined ? '(none)' : quoted(id2word[i])}, expected ${quoted(sp)} (specials <s>=0, <pad>=1, </s>=2, <unk>=3)`);
    }
  });
  return { word2id, id2word };
}

export async function loadVocab(path: string): Promise<GensenVocab> {
  let data: Uint8Array;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read vocabulary (${code ?? (e as Error).message})`);
  }
  return parseVocab(path, data);
}
