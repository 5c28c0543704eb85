/**
 * The GenSen sentence encoder (Subramanian et al. 2018), its GRU on onnxruntime (CPU) or WebGPU
 * (backend.ts): one or two pretrained
 * models, `last` / `max` / `best` pooling, per-task vocabulary expansion, and gensen_senteval.py's
 * batcher when driven by the evaluation engine.
 */
import type { EncoderIdentity, SentenceEncoder, TaskContext } from '../types.js';
import { matrix, type Matrix } from '../../util/matrix.js';
import { canonicalJson, sha256 } from '../../util/hash.js';
import { UserError } from '../../util/errors.js';
import { pySplit } from '../../util/pystr.js';
import { GruRunner, type SessionTuning } from './gru.js';
import type { GruBackend, GruBatchOutput } from './backend.js';
import { gpuContext } from '../../compute/webgpu.js';
import { cudaTf32Allowed } from '../../compute/ort-cuda.js';
import type { DeviceChoice, DeviceRecord } from '../../compute/device.js';
import type { GensenWeights } from './gru-graph.js';
import { bestPoolingFor, vocabCasedFor, poolInto, stepsInto, type MaxPoolMode, type Pooling } from './pooling.js';
import { applyLinearMap, fitLinearMap, type LinearMap } from '../../vectors/expansion.js';
import { loadWordVectors, type WordVectorSubset } from '../../vectors/glove.js';
import { wordTokenize } from '../../text/word-tokenize.js';
import { loadGensenStateDict, resolveGensenFiles } from './state-dict.js';
import { loadVocab } from './vocab.js';
import { loadEmbeddedVectors } from '../../vectors/embedded.js';
import { sha256File } from '../../util/hash.js';
import { basename } from 'node:path';
import { existsSync, statSync } from 'node:fs';

export const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'] as const;
const BOS = 0;
const PAD = 1;
const EOS = 2;
const UNK = 3;

/** One pretrained model, as the checkpoint reader delivers it. */
export interface GensenModelData {
  readonly prefix: string;
  readonly weights: GensenWeights;
  readonly word2id: ReadonlyMap<string, number>;
  /** sha256 over the model's files (checkpoint + vocabulary). */
  readonly filesHash: string;
  /** What reading the files noticed (e.g. vocabulary words that are not UTF-8). */
  readonly notes?: readonly string[];
}

/**
 * How task words meet the vocabularies under `senteval`. `python2` (faithful): gensen_senteval.py
 * ran on Python 2, where SentEval's `unicode` tokens never equal the byte-string keys of the model
 * vocabulary or of the GloVe h5 unless they are ASCII, so every word with a non-ASCII character
 * gets the model's `<unk>` row. `utf8` (clean): such words are matched as UTF-8 like any other.
 */
export type VocabText = 'python2' | 'utf8';

/** A word Python 2 could not match against byte strings: it has a non-ASCII character. */
export function isNonAscii(w: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u007f]/.test(w);
}

/** Word vectors covering (at least) the given words and the models' vocabularies. */
export type VectorSource = (words: readonly string[]) => Promise<WordVectorSubset>;

export interface GensenEncoderOptions {
  readonly modelsDir: string;
  readonly prefix1: string;
  readonly prefix2?: string;
  /** `best`: gensen_senteval.py's per-task choice (max for MR, CR, SUBJ, MPQA; last otherwise). */
  readonly pool: Pooling | 'best';
  readonly maxPool: MaxPoolMode;
  /**
   * Word vectors for vocabulary expansion: a GloVe `.txt`/`.txt.gz` or GenSen `.h5` file. In
   * `senteval` mode without it, the embedded 100-d vectors are used (expansion is always on there).
   */
  readonly glove?: string;
  /** gensen_senteval.py's batcher (`' '.join(tokens).lower().split()`) and per-task expansion. */
  readonly senteval?: boolean;
  /** `senteval` only: see VocabText (default `python2`). The `encode` path always matches UTF-8. */
  readonly vocabText?: VocabText;
  /** get_representation options for the `encode` command: lowercase and/or NLTK-tokenize input. */
  readonly lowercase?: boolean;
  readonly tokenize?: boolean;
  /**
   * Largest sub-batch run at once (sentences are bucketed by length inside a batch); default 128 on
   * the CPU, 1024 on the GPU (which splits further to its own limits). A sentence's vector does not
   * depend on it: faithful max pooling pads to the caller's batch, not to the sub-batch.
   */
  readonly maxChunk?: number;
  /**
   * Where the GRU runs: `cpu` (onnxruntime, the default), `gpu` (WebGPU; a one-line error without
   * an adapter), `auto` (the GPU when WebGPU finds an adapter, else the CPU) or `cuda`
   * (onnxruntime's CUDA provider; a one-line error where the install or the machine lacks it).
   */
  readonly device?: DeviceChoice;
  readonly tuning?: SessionTuning;
  readonly onNote?: (msg: string) => void;
  readonly onProgress?: (msg: string) => void;
}

/** Per-sentence top-layer states for `--all-states`: [len, 2H·models] row-major each. */
export interface TokenStates {
  readonly lengths: Int32Array;
  readonly states: Float32Array[];
}

class LoadedModel {
  /** Current lookup (the model's own, or a task's expanded vocabulary). */
  word2id: ReadonlyMap<string, number>;
  private map?: LinearMap;

  constructor(
    readonly data: GensenModelData,
    readonly runner: GruBackend,
  ) {
    this.word2id = data.word2id;
  }

  get hidden(): number {
    return this.data.weights.hidden;
  }

  get embedding(): Float32Array {
    return this.data.weights.tensors.get('src_embedding.weight')!.data;
  }

  useOwnVocabulary(): void {
    this.word2id = this.data.word2id;
    this.runner.setEmbedding(this.embedding);
  }

  /** The regression from word vectors to this model's embeddings, fitted once per model. */
  async linearMap(vectors: WordVectorSubset): Promise<LinearMap> {
    if (this.map && this.map.inDim === vectors.dim) return this.map;
    const E = this.data.weights.embDim;
    const rows: number[] = [];
    const ids: number[] = [];
    for (const [w, id] of this.data.word2id) {
      const r = vectors.index.get(w);
      if (r !== undefined) {
        rows.push(r);
        ids.push(id);
      }
    }
    const n = rows.length;
    const X = new Float32Array(n * vectors.dim);
    const Y = new Float32Array(n * E);
    const emb = this.embedding;
    for (let i = 0; i < n; i++) {
      X.set(vectors.vectors.subarray(rows[i]! * vectors.dim, (rows[i]! + 1) * vectors.dim), i * vectors.dim);
      Y.set(emb.subarray(ids[i]! * E, (ids[i]! + 1) * E), i * E);
    }
    this.map = await fitLinearMap(X, Y, n, vectors.dim, E);
    return this.map;
  }

  /** Installs the expanded vocabulary: specials, then the task words in the given order. */
  async expand(
    taskWords: readonly string[],
    vectors: WordVectorSubset,
    python2: boolean,
  ): Promise<{ own: number; regressed: number; unk: number; nonAscii: number; map: LinearMap }> {
    const map = await this.linearMap(vectors);
    const E = this.data.weights.embDim;
    const own = this.data.word2id;
    const emb = this.embedding;
    const w2i = new Map<string, number>();
    SPECIALS.forEach((s, i) => w2i.set(s, i));
    for (const w of taskWords) if (!w2i.has(w)) w2i.set(w, w2i.size);
    const table = new Float32Array(w2i.size * E);
    const counts = { own: 0, regressed: 0, unk: 0, nonAscii: 0 };
    const unkId = own.get('<unk>') ?? UNK;
    for (const [w, id] of w2i) {
      const py2Miss = python2 && isNonAscii(w);
      if (py2Miss) counts.nonAscii++;
      const mine = py2Miss ? undefined : own.get(w);
      const g = py2Miss ? undefined : vectors.index.get(w);
      if (mine !== undefined) {
        table.set(emb.subarray(mine * E, (mine + 1) * E), id * E);
        counts.own++;
      } else if (g !== undefined) {
        applyLinearMap(map, vectors.vectors.subarray(g * vectors.dim, (g + 1) * vectors.dim), table, id * E);
        counts.regressed++;
      } else {
        table.set(emb.subarray(unkId * E, (unkId + 1) * E), id * E);
        counts.unk++;
      }
    }
    this.word2id = w2i;
    this.runner.setEmbedding(table);
    return { ...counts, map };
  }

  /** `python2`: non-ASCII tokens are `<unk>` whatever the vocabulary (see VocabText). */
  ids(tokens: readonly string[], python2: boolean): number[] {
    const out = [BOS];
    for (const t of tokens) out.push(python2 && isNonAscii(t) ? UNK : (this.word2id.get(t) ?? UNK));
    out.push(EOS);
    return out;
  }
}

/** Groups sentence indices (sorted longest first) into sub-batches of similar length. */
export function lengthBuckets(lens: readonly number[], maxChunk: number): number[][] {
  const order = lens.map((_, i) => i).sort((a, b) => lens[b]! - lens[a]! || a - b);
  const chunks: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    // Padding costs full GRU steps, so close a chunk once lengths drop well below its longest;
    // tiny chunks lose more to per-step overhead than padding would, hence the minimum size.
    if (cur.length > 0 && (cur.length >= maxChunk || (cur.length >= 16 && lens[i]! < 0.8 * lens[cur[0]!]!))) {
      chunks.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}

export class GensenEncoder implements SentenceEncoder {
  readonly identity: EncoderIdentity;
  private taskPooling: Pooling;
  private readonly notesList: string[] = [];

  constructor(
    private readonly models: LoadedModel[],
    private readonly opts: GensenEncoderOptions,
    private readonly vectorSource: VectorSource | undefined,
    expansionLabel: string,
    private readonly glove?: GloveVectorSource,
  ) {
    const dim = models.reduce((s, m) => s + 2 * m.hidden, 0);
    this.taskPooling = opts.pool === 'best' ? 'last' : opts.pool;
    const params: Record<string, string | number | boolean> = {
      prefix1: opts.prefix1,
      pool: opts.pool,
      maxPool: opts.maxPool,
      expansion: expansionLabel,
      batcher: opts.senteval ? 'gensen_senteval' : 'get_representation',
    };
    if (opts.senteval) params['vocabText'] = this.vocabText;
    if (opts.prefix2) params['prefix2'] = opts.prefix2;
    if (!opts.senteval) {
      params['lowercase'] = !!opts.lowercase;
      params['tokenize'] = !!opts.tokenize;
    }
    // GPU sums run in another order: its vectors differ from the CPU's in the last bits, so they
    // must not share cache entries. CPU identities stay as they were (existing caches match).
    const d = this.computeDevice;
    if (d.kind === 'gpu') params['device'] = d.api === 'webgpu' ? 'gpu' : cudaTf32Allowed() ? 'cuda-tf32' : 'cuda';
    this.identity = {
      name: 'gensen',
      dim,
      weightsHash: sha256(models.map((m) => m.data.filesHash).join(':')),
      params,
    };
  }

  /** The hardware that runs the GRU (what `device` resolved to). */
  get computeDevice(): DeviceRecord {
    return this.models[0]!.runner.device;
  }

  /** How task words meet the vocabularies: `python2` under senteval unless asked otherwise; `encode` matches UTF-8. */
  get vocabText(): VocabText {
    return this.opts.senteval ? (this.opts.vocabText ?? 'python2') : 'utf8';
  }

  private get python2(): boolean {
    return this.vocabText === 'python2';
  }

  get pooling(): Pooling {
    return this.taskPooling;
  }

  /** Only faithful max pooling (over the batch's zero padding) makes a vector depend on its batch. */
  get batchIndependent(): boolean {
    return !(this.taskPooling === 'max' && this.opts.maxPool === 'faithful');
  }

  /** Applies the input handling of the chosen mode to one sentence's tokens. */
  private prepareTokens(tokens: readonly string[]): string[] {
    if (this.opts.senteval) return pySplit(tokens.join(' ').toLowerCase());
    let s = tokens.join(' ');
    if (this.opts.lowercase) s = s.toLowerCase();
    return this.opts.tokenize ? wordTokenize(s) : pySplit(s);
  }

  /** Raw-text entry for the `encode` command: one string per sentence. */
  async encodeText(sentences: readonly string[], allStates = false): Promise<{ vectors: Matrix; states?: TokenStates }> {
    return this.encodeTokens(sentences.map((s) => this.prepareTokensFromText(s)), allStates);
  }

  /** The tokens a raw sentence becomes under this encoder's input options. */
  tokenizeText(s: string): string[] {
    return this.prepareTokensFromText(s);
  }

  /**
   * Announces words that later `prepare` calls will need, so that a GloVe file is streamed once
   * for all tasks instead of once per task with unseen words.
   */
  registerWords(words: Iterable<string>): void {
    this.glove?.register(words);
  }

  private prepareTokensFromText(s: string): string[] {
    const t = this.opts.lowercase || this.opts.senteval ? s.toLowerCase() : s;
    return this.opts.tokenize && !this.opts.senteval ? wordTokenize(t) : pySplit(t);
  }

  /** Builds the task vocabulary (gensen_senteval.py's prepare) and expands every model to it. */
  async expandTo(words: readonly string[], label: string): Promise<void> {
    if (!this.vectorSource) return;
    const vectors = await this.vectorSource(words);
    for (const n of vectors.notes ?? []) {
      if (!this.notesList.includes(n)) {
        this.notesList.push(n);
        this.opts.onNote?.(n);
      }
    }
    for (const m of this.models) {
      const c = await m.expand(words, vectors, this.python2);
      if (c.map.rank < c.map.inDim) {
        const n =
          `GenSen vocabulary expansion for ${m.data.prefix}: ${c.map.samples} shared words, rank ${c.map.rank} < ${c.map.inDim} ` +
          '(the vector dimension): the minimum-norm least-squares map, as scikit-learn fits it';
        if (!this.notesList.includes(n)) {
          this.notesList.push(n);
          this.opts.onNote?.(n);
        }
      }
      const py2 = c.nonAscii > 0 ? `, ${c.nonAscii} of them non-ASCII, <unk> as under Python 2` : '';
      this.opts.onProgress?.(
        `gensen ${m.data.prefix} ${label}: ${words.length} words (${c.own} own, ${c.regressed} regressed from ${vectors.source}, ${c.unk} <unk>${py2})`,
      );
    }
  }

  /** gensen_senteval.py's task vocabulary: every token, lowercased unless the task says cased (TREC), first-seen order. */
  private taskWords(task: TaskContext): string[] {
    // Its batcher lowercases anyway, so TREC's cased-only words end up as <unk>.
    const cased = vocabCasedFor(task);
    const seen = new Set<string>();
    for (const s of task.samples) for (const t of s) seen.add(cased ? t : t.toLowerCase());
    return [...seen];
  }

  async prepareRun(tasks: readonly TaskContext[]): Promise<void> {
    if (!this.vectorSource || !this.opts.senteval) return;
    for (const task of tasks) this.registerWords(this.taskWords(task));
  }

  async prepare(task: TaskContext): Promise<string> {
    if (this.opts.pool === 'best') this.taskPooling = bestPoolingFor(task);
    let vocabKey = '';
    if (this.vectorSource && this.opts.senteval) {
      const words = this.taskWords(task);
      await this.expandTo(words, task.taskId);
      vocabKey = sha256([...words].sort().join('\n'));
    }
    return sha256(canonicalJson({ pooling: this.taskPooling, vocab: vocabKey, vocabText: this.vocabText }));
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    return (await this.encodeTokens(batch.map((t) => this.prepareTokens(t)), false)).vectors;
  }

  /** Encodes final token lists (no further lowercasing/splitting) as one original batch. */
  async encodeTokens(batch: readonly (readonly string[])[], allStates: boolean): Promise<{ vectors: Matrix; states?: TokenStates }> {
    const N = batch.length;
    const dim = this.identity.dim;
    const out = new Float32Array(N * dim);
    const lens = batch.map((t) => t.length + 2);
    const lengths = Int32Array.from(lens);
    const states = allStates ? lens.map((l) => new Float32Array(l * dim)) : undefined;
    if (N === 0) return { vectors: matrix(0, dim, out), ...(states ? { states: { lengths, states } } : {}) };
    const batchMax = Math.max(...lens);
    const gpu = this.computeDevice.kind === 'gpu';
    const chunks = lengthBuckets(lens, this.opts.maxChunk ?? (gpu ? 1024 : 128));
    let colOffset = 0;
    for (const m of this.models) {
      const H = m.hidden;
      const fused = this.taskPooling === 'max' && m.runner.fusedMaxPool;
      const needSteps = allStates || (this.taskPooling === 'max' && !fused);
      const idLists = batch.map((t) => m.ids(t, this.python2));
      for (const chunk of chunks) {
        const B = chunk.length;
        const T = lens[chunk[0]!]!;
        const ids = new BigInt64Array(T * B).fill(BigInt(PAD));
        const clens = new Int32Array(B);
        chunk.forEach((s, b) => {
          const l = idLists[s]!;
          clens[b] = l.length;
          for (let t = 0; t < l.length; t++) ids[t * B + b] = BigInt(l[t]!);
        });
        const res: GruBatchOutput = await m.runner.run(ids, clens, T, { sequence: needSteps, maxPool: fused });
        chunk.forEach((s, b) => {
          poolInto(res, b, lens[s]!, batchMax, this.taskPooling, this.opts.maxPool, out, s * dim + colOffset);
          if (states) stepsInto(res, b, lens[s]!, states[s]!, colOffset, dim);
        });
      }
      colOffset += 2 * H;
    }
    return { vectors: matrix(N, dim, out), ...(states ? { states: { lengths, states } } : {}) };
  }

  /** Back to each model's own vocabulary (undoes a task's expansion). */
  useOwnVocabulary(): void {
    for (const m of this.models) m.useOwnVocabulary();
  }

  notes(): string[] {
    return [...this.notesList];
  }

  addNote(n: string): void {
    this.notesList.push(n);
  }

  async close(): Promise<void> {
    for (const m of this.models) await m.runner.close();
  }

  /** Builds an encoder from already-loaded models (the library/test entry point). */
  static async fromModels(
    data: readonly GensenModelData[],
    opts: GensenEncoderOptions,
    vectorSource?: VectorSource,
    expansionLabel = 'none',
    glove?: GloveVectorSource,
  ): Promise<GensenEncoder> {
    if (data.length === 0 || data.length > 2) throw new UserError('gensen: give one or two models (--prefix1 [--prefix2])');
    const models: LoadedModel[] = [];
    const where = await resolveDevice(opts.device ?? 'cpu');
    try {
      for (const d of data) {
        const emb = d.weights.tensors.get('src_embedding.weight');
        if (!emb) throw new UserError(`gensen model ${d.prefix}: no src_embedding.weight in the checkpoint`);
        const runner =
          where === 'gpu'
            ? await (await import('./gru-webgpu.js')).WebGpuGruRunner.create(d.weights, emb.data)
            : await GruRunner.create(d.weights, emb.data, where === 'cuda' ? { ...opts.tuning, provider: 'cuda' } : opts.tuning);
        models.push(new LoadedModel(d, runner));
      }
    } catch (e) {
      for (const m of models) await m.runner.close();
      throw e;
    }
    return new GensenEncoder(models, opts, vectorSource, expansionLabel, glove);
  }
}

/**
 * `auto`: the GPU when WebGPU finds an adapter (the shared device is created once), else the CPU;
 * CUDA only when asked for, since it needs a particular onnxruntime-node install.
 */
async function resolveDevice(choice: DeviceChoice): Promise<'cpu' | 'gpu' | 'cuda'> {
  if (choice !== 'auto') return choice;
  return typeof (await gpuContext()) !== 'string' ? 'gpu' : 'cpu';
}

/** Reads `<modelsDir>/<prefix>.model` and `<prefix>_vocab.pkl` (UserError naming both if missing). */
export async function loadGensenModel(modelsDir: string, prefix: string): Promise<GensenModelData> {
  const files = resolveGensenFiles(modelsDir, prefix);
  // The vocabulary first: the checkpoint's shapes are checked against it before its data is read.
  const vocab = await loadVocab(files.vocab);
  const [weights, h1, h2] = await Promise.all([
    loadGensenStateDict(files.model, { file: files.vocab, size: vocab.id2word.length }),
    sha256File(files.model),
    sha256File(files.vocab),
  ]);
  return { prefix, weights, word2id: vocab.word2id, filesHash: sha256(`${h1}:${h2}`), notes: vocab.notes };
}

/**
 * Streams a GloVe file once for the model vocabularies plus every word registered so far; a later
 * request for words not yet considered streams it again (register all tasks' words up front to
 * read the file only once).
 */
export class GloveVectorSource {
  private readonly considered = new Set<string>();
  private current?: WordVectorSubset;

  constructor(
    readonly path: string,
    modelVocabularies: readonly ReadonlyMap<string, number>[],
    private readonly onProgress?: (msg: string) => void,
  ) {
    for (const v of modelVocabularies) for (const w of v.keys()) this.considered.add(w);
  }

  register(words: Iterable<string>): boolean {
    let added = false;
    for (const w of words) {
      if (!this.considered.has(w)) {
        this.considered.add(w);
        added = true;
      }
    }
    if (added) this.current = undefined;
    return added;
  }

  readonly get: VectorSource = async (words) => {
    this.register(words);
    if (!this.current) {
      const total = statSync(this.path).size;
      this.onProgress?.(`reading word vectors ${this.path} (${(total / 2 ** 20).toFixed(0)} MiB) for ${this.considered.size} words`);
      this.current = await loadWordVectors(this.path, {
        keep: (w) => this.considered.has(w),
        onProgress: (p) =>
          this.onProgress?.(`  ${this.path}: ${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%, ${p.kept} words kept`),
      });
    }
    return this.current;
  };
}

/**
 * The entry point for `evaluate` and `encode`: loads the model(s) and sets up vocabulary expansion
 * (GloVe file if given; in `senteval` mode otherwise the embedded 100-d vectors).
 */
export async function createGensenEncoder(opts: GensenEncoderOptions): Promise<GensenEncoder> {
  const prefixes = [opts.prefix1, ...(opts.prefix2 ? [opts.prefix2] : [])];
  const models: GensenModelData[] = [];
  for (const p of prefixes) {
    opts.onProgress?.(`loading GenSen model ${p} from ${opts.modelsDir}`);
    models.push(await loadGensenModel(opts.modelsDir, p));
  }
  let source: VectorSource | undefined;
  let label = 'none';
  let note: string | undefined;
  let g: GloveVectorSource | undefined;
  if (opts.glove) {
    if (!existsSync(opts.glove)) throw new UserError(`word vectors file not found: ${opts.glove} (expected GloVe .txt, .txt.gz or GenSen's .h5)`);
    g = new GloveVectorSource(opts.glove, models.map((m) => m.word2id), opts.onProgress ?? opts.onNote);
    source = g.get;
    const st = statSync(opts.glove);
    label = `glove:${basename(opts.glove)}:${st.size}`;
    note = `GenSen vocabulary expansion: OLS map from ${opts.glove} (${st.size} bytes) to each model's embeddings`;
  } else if (opts.senteval) {
    const e = loadEmbeddedVectors(opts.onNote);
    const subset: WordVectorSubset = { words: e.words, dim: e.dim, vectors: e.vectors, index: e.index, source: e.source, skippedLines: 0 };
    source = async () => subset;
    label = `embedded:${e.source}:${e.hash.slice(0, 16)}`;
    note =
      `GenSen vocabulary expansion: OLS map from the embedded ${e.dim}-d vectors (${e.source}), not glove.840B.300d ` +
      'as in the paper; pass --glove for the faithful setting';
  }
  const enc = await GensenEncoder.fromModels(models, opts, source, label, g);
  const notes = [...models.flatMap((m) => m.notes ?? []), ...(note ? [note] : [])];
  if (opts.senteval && enc.vocabText === 'python2') {
    notes.push(
      'GenSen vocabulary text: task words with a non-ASCII character get the <unk> row, as under gensen_senteval.py on Python 2 ' +
        '(pass --vocab-text utf8 to match them as UTF-8)',
    );
  }
  for (const n of notes) {
    enc.addNote(n);
    opts.onNote?.(n);
  }
  return enc;
}
