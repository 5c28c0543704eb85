/**
 * The GenSen sentence encoder (Subramanian et al. 2018): one or two pretrained models, `last` /
 * `max` / `best` pooling, per-task vocabulary expansion, and gensen_senteval.py's batcher when
 * driven by the evaluation engine. Its parts: model-files.ts (checkpoint loading), expansion.ts,
 * word-vectors.ts (GloVe streaming), tokens.ts, buckets.ts, task-hints.ts, the GRU backends
 * (backend.ts), and factory.ts, which builds it; where it runs is compute/device-policy.ts's call.
 */
import type { EncoderIdentity, SentenceEncoder, TaskContext, TokenStates } from '../types.js';
import { matrix, type Matrix } from '../../util/matrix.js';
import { canonicalJson, sha256 } from '../../util/hash.js';
import { UserError } from '../../util/errors.js';
import { GruRunner, type SessionTuning } from './gru.js';
import type { GruBatchOutput } from './backend.js';
import { ThreadedGruRunner } from './gru-thread.js';
import { cudaTf32Allowed } from '../../compute/ort-cuda.js';
import { cpuDevice, type DeviceChoice, type DeviceRecord } from '../../compute/device.js';
import { DEFAULT_INTRA_OP_THREADS } from '../../compute/onnxruntime.js';
import { resolveDevice } from '../../compute/device-policy.js';
import { poolInto, stepsInto, type MaxPoolMode, type Pooling } from './pooling.js';
import { sentenceTokens } from '../../text/sentence-tokens.js';
import { LoadedModel, PAD, type VocabText } from './expansion.js';
import type { GensenModelData } from './model-files.js';
import type { GloveVectorSource, VectorSource } from './word-vectors.js';
import { lengthBuckets } from './buckets.js';
import { sentevalBatcherTokens, taskVocabulary } from './tokens.js';
import { gensenHints } from './task-hints.js';
import { readWordList } from '../../util/sentences-file.js';

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
  /**
   * gensen_senteval.py's batcher (`' '.join(tokens).lower().split()`) and per-task expansion (the
   * `evaluate` command). Off (the `encode` command, gensen.py's get_representation): `encode` takes
   * the tokens as given, and `prepare` expands, with `glove` only, to the words of its samples as
   * they are (or to `vocab`'s), pooling `best` as `last`.
   */
  readonly senteval?: boolean;
  /** `senteval` only: see VocabText (default `python2`). The `encode` path always matches UTF-8. */
  readonly vocabText?: VocabText;
  /** Off `senteval`: a word list (.json array or one word per line) `prepare` expands to instead of its samples' words. */
  readonly vocab?: string;
  /** get_representation options of `encodeText` (raw sentences): lowercase and/or NLTK-tokenize input. */
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
   * an adapter), `cuda` (onnxruntime's CUDA provider; a one-line error where the install or the
   * machine lacks it) or `auto` (compute/device-policy.ts: a hardware WebGPU adapter, else CUDA
   * where its check passes, else the CPU).
   */
  readonly device?: DeviceChoice;
  readonly tuning?: SessionTuning;
  /**
   * Two models on the CPU: each on a thread of its own with half of `tuning.intraOpThreads`, both
   * at once (default), or `false`: one after the other on the calling thread, each with all of
   * them. The vectors are the same bits either way.
   */
  readonly concurrentModels?: boolean;
  readonly onNote?: (msg: string) => void;
  readonly onProgress?: (msg: string) => void;
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

  /** The hardware that runs the GRU (what `device` resolved to; on the CPU, the threads of every model running at once). */
  get computeDevice(): DeviceRecord {
    const d = this.models[0]!.runner.device;
    if (!this.concurrentModels || d.kind !== 'cpu') return d;
    return { ...d, threads: this.models.reduce((s, m) => s + (m.runner.device.kind === 'cpu' ? m.runner.device.threads : 0), 0) };
  }

  /** Whether the models compute on threads of their own, so that a batch runs them at once (`concurrentModels`). */
  get concurrentModels(): boolean {
    return this.models.every((m) => m.runner.ownThread);
  }

  /** Two batches at once on model threads (the next waits in their queues while the caller stores the last); else one. */
  get encodeConcurrency(): number {
    return this.concurrentModels ? 2 : 1;
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

  /** Raw-text entry (one string per sentence): the tokens `tokenizeText` makes, as one batch. */
  async encodeText(sentences: readonly string[], allStates = false): Promise<{ vectors: Matrix; states?: TokenStates }> {
    return this.encodeTokens(
      sentences.map((s) => this.tokenizeText(s)),
      allStates,
    );
  }

  /**
   * The tokens a raw sentence becomes: under `senteval` the batcher's lowercased whitespace split,
   * else the `lowercase`/`tokenize` options (the `encode` command's one tokenise path).
   */
  tokenizeText(s: string): string[] {
    return this.opts.senteval ? sentevalBatcherTokens([s]) : sentenceTokens(s, this.opts);
  }

  /**
   * Announces words that later `prepare` calls will need, so that a GloVe file is streamed once
   * for all tasks instead of once per task with unseen words.
   */
  registerWords(words: Iterable<string>): void {
    this.glove?.register(words);
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

  /**
   * The words a task's vocabulary is expanded to: gensen_senteval.py's (every token, lowercased
   * unless the task's hints say cased, first-seen order) under `senteval`; else `vocab`'s list or
   * the samples' tokens as given.
   */
  private taskWords(task: TaskContext): string[] {
    if (this.opts.senteval) return taskVocabulary(task, gensenHints(task).vocabCased);
    return this.opts.vocab ? readWordList(this.opts.vocab) : taskVocabulary(task, true);
  }

  async prepareRun(tasks: readonly TaskContext[]): Promise<void> {
    // Every task's hints are checked before any work, and a GloVe file is then streamed once.
    if (this.opts.senteval) for (const task of tasks) gensenHints(task);
    if (!this.vectorSource || !this.opts.senteval) return;
    for (const task of tasks) this.registerWords(this.taskWords(task));
  }

  async prepare(task: TaskContext): Promise<string> {
    if (this.opts.pool === 'best' && this.opts.senteval) this.taskPooling = gensenHints(task).pooling;
    let vocabKey = '';
    if (this.vectorSource) {
      const words = this.taskWords(task);
      await this.expandTo(words, this.opts.senteval ? task.taskId : (this.opts.vocab ?? task.taskId));
      vocabKey = sha256([...words].sort().join('\n'));
    }
    return sha256(canonicalJson({ pooling: this.taskPooling, vocab: vocabKey, vocabText: this.vocabText }));
  }

  /** A batch of tokens: through gensen_senteval.py's batcher under `senteval`, else as given. */
  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    return (await this.encodeTokens(this.opts.senteval ? batch.map(sentevalBatcherTokens) : batch, false)).vectors;
  }

  /** `encode` with each sentence's top-layer states (the `encode` command's `--all-states`). */
  async encodeWithStates(batch: readonly (readonly string[])[]): Promise<{ vectors: Matrix; states: TokenStates }> {
    const r = await this.encodeTokens(this.opts.senteval ? batch.map(sentevalBatcherTokens) : batch, true);
    return { vectors: r.vectors, states: r.states! };
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
    // Each model writes its own columns of every row, so the models may run in any order or at once.
    const encodeModel = async (m: LoadedModel, colOffset: number): Promise<void> => {
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
    };
    const offsets = this.models.map((_, i) => this.models.slice(0, i).reduce((s, m) => s + 2 * m.hidden, 0));
    if (this.concurrentModels) await Promise.all(this.models.map((m, i) => encodeModel(m, offsets[i]!)));
    else for (const [i, m] of this.models.entries()) await encodeModel(m, offsets[i]!);
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
    const threads = opts.tuning?.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS;
    // Two models on the CPU run at once, each on its own thread with its share of the threads.
    const split = data.length === 2 && threads >= 2 && opts.concurrentModels !== false ? [Math.ceil(threads / 2), Math.floor(threads / 2)] : null;
    const where = await resolveDevice(opts.device ?? 'cpu', { cudaPath: true, what: 'GenSen encodes', ...(opts.onNote ? { log: opts.onNote } : {}) });
    try {
      for (const d of data) {
        const emb = d.weights.tensors.get('src_embedding.weight');
        if (!emb) throw new UserError(`gensen model ${d.prefix}: no src_embedding.weight in the checkpoint`);
        const runner =
          where === 'gpu'
            ? await (await import('./gru-webgpu.js')).WebGpuGruRunner.create(d.weights, emb.data)
            : where === 'cpu' && split
              ? await ThreadedGruRunner.create(d.weights, emb.data, { ...opts.tuning, intraOpThreads: split[models.length]! }, cpuDevice(split[models.length]!))
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
