/**
 * GenSen's `<prefix>_vocab.pkl`: `{'word2id': {word: id}, 'id2word': {id: word}}`, pickled by
 * Python 2 (protocol 0). Its words are byte strings holding UTF-8, which the original compares byte
 * for byte with UTF-8 input, so they are decoded as UTF-8 (Python 3 `bytes` too); one that is not
 * valid UTF-8 is read as latin-1 and named in a note. Any protocol is accepted; no globals are.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../../util/errors.js';
import { pyTypeName, quoted, unpickle, type PyValue } from '../../formats/pickle.js';

export interface GensenVocab {
  readonly word2id: Map<string, number>;
  readonly id2word: string[];
  /** Words that were not valid UTF-8 (read as latin-1), said in one line; empty when none. */
  readonly notes: string[];
}

export const GENSEN_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'] as const;

function word(file: string, v: PyValue | undefined): string {
  if (typeof v === 'string') return v;
  throw new UserError(`${file}: vocabulary word is a ${pyTypeName(v)}, not a string`);
}

/** Checks the decoded pickle and returns the vocabulary. */
export function parseVocab(file: string, data: Uint8Array): GensenVocab {
  const fallbacks = new Set<string>();
  const { value, end } = unpickle(data, { file, byteStrings: 'utf8', onLatin1Fallback: (t) => fallbacks.add(t) });
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
  if (word2id.size !== n) {
    // Two byte strings that decode alike: one UTF-8, one not (read as latin-1), e.g. 'caf\xc3\xa9' and 'caf\xe9'.
    const ids = new Map<string, number[]>();
    id2word.forEach((w, i) => ids.set(w, [...(ids.get(w) ?? []), i]));
    for (const [w, list] of ids) {
      if (list.length > 1 && fallbacks.has(w)) {
        throw new UserError(
          `${file}: the vocabulary holds ${quoted(w)} twice (ids ${list.join(' and ')}), once as UTF-8 and once in bytes that are not UTF-8 ` +
            '(read as latin-1); the original tells them apart by their bytes, this reader cannot',
        );
      }
    }
  }
  if (word2id.size !== n) throw new UserError(`${file}: word2id has ${word2id.size} words but id2word has ${n}`);
  GENSEN_SPECIALS.forEach((sp, i) => {
    if (id2word[i] !== sp) {
      throw new UserError(
        `${file}: id ${i} is ${id2word[i] === undefined ? '(none)' : quoted(id2word[i])}, expected ${quoted(sp)} (specials <s>=0, <pad>=1, </s>=2, <unk>=3)`,
      );
    }
  });
  const notes: string[] = [];
  if (fallbacks.size > 0) {
    const list = [...fallbacks];
    const shown = list
      .slice(0, 10)
      .map((w) => quoted(w))
      .join(', ');
    notes.push(
      `${file}: ${list.length} vocabulary word${list.length === 1 ? ' is' : 's are'} not valid UTF-8 and ${list.length === 1 ? 'was' : 'were'} read as latin-1 ` +
        `(${shown}${list.length > 10 ? `, ... ${list.length - 10} more` : ''}); UTF-8 input matches ${list.length === 1 ? 'it' : 'them'} as latin-1 text, the original never would`,
    );
  }
  return { word2id, id2word, notes };
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
