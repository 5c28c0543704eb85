/**
 * `--encoder onnx --model-dir DIR`: a Hugging Face / sentence-transformers model exported to ONNX,
 * run offline by transformers.js on onnxruntime-node. A sentence is the task's tokens joined by
 * single spaces; the model's own tokenizer (tokenizer.json) takes it from there. Pooling (mean over
 * the attention mask, or the [CLS] token) and L2 normalisation follow the folder's
 * sentence-transformers config, as sentence-transformers itself would encode.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import type { Matrix } from '../../util/matrix.js';
import type { EncoderIdentity, SentenceEncoder } from '../types.js';
import { readSentenceTransformersConfig, type Pooling } from './sentence-transformers-config.js';

export interface OnnxEncoderOptions {
  readonly modelDir: string;
  /** Overrides the folder's pooling ('config': as the folder says). */
  readonly pooling?: 'config' | Pooling;
  /** Overrides the folder's normalisation ('config': as the folder says). */
  readonly normalize?: 'config' | 'yes' | 'no';
  /** Overrides the token limit (default: max_seq_length, else the model's). */
  readonly maxLength?: number;
}

interface Tensor {
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}
type Ids = Record<'input_ids' | 'attention_mask', number[][]> & { token_type_ids?: number[][] };
type Tokenizer = ((texts: string[], o: { padding: false; truncation: false; return_tensor: false }) => Ids) & {
  readonly pad_token_id?: number | null;
  readonly all_special_ids?: readonly number[];
};
type TensorClass = new (type: 'int64', data: BigInt64Array, dims: number[]) => Tensor;
type Model = ((inputs: Record<string, Tensor>) => Promise<Record<string, Tensor>>) & { dispose(): Promise<unknown> };

export class OnnxEncoder implements SentenceEncoder {
  identity!: EncoderIdentity;
  /** Padding is masked out of attention and pooling: a row does not depend on its batch (to float rounding). */
  readonly batchIndependent = true;
  private tokenizer!: Tokenizer;
  private model!: Model;
  private pooling!: Pooling;
  private normalize!: boolean;
  private maxLength!: number;
  private TensorCtor!: TensorClass;

  private constructor(private readonly dir: string) {}

  static async load(o: OnnxEncoderOptions): Promise<OnnxEncoder> {
    const dir = resolve(o.modelDir);
    const enc = new OnnxEncoder(dir);
    if (!existsSync(dir)) throw new UserError(`--model-dir ${o.modelDir}: folder not found`);
    const onnxPath = [join(dir, 'onnx', 'model.onnx'), join(dir, 'model.onnx')].find(existsSync);
    if (!onnxPath)
      throw new UserError(`--model-dir ${o.modelDir}: no onnx/model.onnx or model.onnx (export the model to ONNX first, e.g. with optimum-cli export onnx)`);
    for (const f of ['tokenizer.json', 'config.json']) {
      if (!existsSync(join(dir, f))) throw new UserError(`--model-dir ${o.modelDir}: ${f} is missing`);
    }
    const st = readSentenceTransformersConfig(dir);
    enc.pooling = !o.pooling || o.pooling === 'config' ? st.pooling : o.pooling;
    enc.normalize = !o.normalize || o.normalize === 'config' ? st.normalize : o.normalize === 'yes';
    enc.maxLength = o.maxLength ?? st.maxLength;

    // Loaded on demand: transformers.js is large and only this encoder needs it.
    const tjs = await import('@huggingface/transformers');
    // Offline: only the given folder is read, never the Hub or a download cache.
    tjs.env.allowRemoteModels = false;
    tjs.env.allowLocalModels = true;
    tjs.env.useFSCache = false;
    tjs.env.localModelPath = `${dirname(dir)}/`;
    const id = basename(dir);
    const subfolder = onnxPath.endsWith(join('onnx', 'model.onnx')) ? 'onnx' : '';
    enc.TensorCtor = tjs.Tensor as unknown as TensorClass;
    try {
      enc.tokenizer = (await tjs.AutoTokenizer.from_pretrained(id, { local_files_only: true })) as unknown as Tokenizer;
      enc.model = (await tjs.AutoModel.from_pretrained(id, { local_files_only: true, dtype: 'fp32', device: 'cpu', subfolder })) as unknown as Model;
    } catch (e) {
      throw new UserError(`onnx encoder (${o.modelDir}): cannot load the model: ${String((e as Error).message ?? e).split('\n')[0]}`);
    }
    const hashes = [onnxPath, join(dir, 'tokenizer.json'), join(dir, 'config.json'), ...st.files]
      .concat(existsSync(join(dir, 'tokenizer_config.json')) ? [join(dir, 'tokenizer_config.json')] : [])
      .map((f) => `${f.slice(dir.length + 1)}:${sha256(readFileSync(f))}`);
    const probe = await enc.run(['hello']);
    enc.identity = {
      name: 'onnx',
      dim: probe.cols,
      weightsHash: sha256(hashes.join('\n')),
      params: { model: id, pooling: enc.pooling, normalize: enc.normalize, maxLength: enc.maxLength },
    };
    return enc;
  }

  async prepare(): Promise<string> {
    return '';
  }

  async encode(batch: readonly (readonly string[])[]): Promise<Matrix> {
    if (batch.length === 0) return { rows: 0, cols: this.identity.dim, data: new Float32Array(0) };
    return this.run(batch.map((t) => t.join(' ')));
  }

  private async run(texts: string[]): Promise<Matrix> {
    let out: Record<string, Tensor>;
    let inputs: Record<string, Tensor>;
    try {
      inputs = this.tensors(this.tokenizer(texts, { padding: false, truncation: false, return_tensor: false }));
      out = await this.model(inputs);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`onnx encoder (${this.dir}): ${String((e as Error).message ?? e).split('\n')[0]}`);
    }
    const h = out.last_hidden_state ?? out.token_embeddings;
    if (h?.dims.length !== 3) throw new UserError(`onnx encoder (${this.dir}): the model has no last_hidden_state [batch, tokens, dim] output`);
    const [B, T, D] = h.dims as [number, number, number];
    const hd = h.data as Float32Array;
    const mask = inputs.attention_mask!.data;
    const res = new Float32Array(B * D);
    for (let b = 0; b < B; b++) {
      const row = res.subarray(b * D, (b + 1) * D);
      if (this.pooling === 'cls') {
        row.set(hd.subarray(b * T * D, b * T * D + D));
      } else {
        // sentence-transformers: sum of the masked token vectors over max(mask count, 1e-9).
        let n = 0;
        for (let t = 0; t < T; t++) {
          if (Number(mask[b * T + t]) === 0) continue;
          n++;
          const off = (b * T + t) * D;
          for (let j = 0; j < D; j++) row[j] += hd[off + j]!;
        }
        for (let j = 0; j < D; j++) row[j] /= Math.max(n, 1e-9);
      }
      if (this.normalize) {
        let ss = 0;
        for (let j = 0; j < D; j++) ss += row[j]! * row[j]!;
        const norm = Math.max(Math.sqrt(ss), 1e-12);
        for (let j = 0; j < D; j++) row[j] /= norm;
      }
    }
    return { rows: B, cols: D, data: res };
  }

  /**
   * Truncation and padding done here, as Hugging Face tokenizers (and so sentence-transformers) do
   * them: the sentence's tokens are cut so that the closing special token ([SEP], </s>) stays
   * last. transformers.js' own truncation cuts the whole sequence, dropping [SEP].
   */
  private tensors(enc: Ids): Record<string, Tensor> {
    const special = new Set(this.tokenizer.all_special_ids ?? []);
    const max = this.maxLength;
    const cut = (row: number[], ids: number[]): number[] =>
      row.length <= max ? row : special.has(ids[ids.length - 1]!) ? [...row.slice(0, max - 1), row[row.length - 1]!] : row.slice(0, max);
    const ids = enc.input_ids.map((r) => cut(r, r));
    const mask = enc.attention_mask.map((r, i) => cut(r, enc.input_ids[i]!));
    const types = enc.token_type_ids?.map((r, i) => cut(r, enc.input_ids[i]!));
    const B = ids.length;
    const T = Math.max(...ids.map((r) => r.length));
    const pad = this.tokenizer.pad_token_id ?? 0;
    const fill = (rows: number[][], padWith: number) => {
      const a = new BigInt64Array(B * T).fill(BigInt(padWith));
      rows.forEach((r, b) => r.forEach((x, t) => (a[b * T + t] = BigInt(x))));
      return new this.TensorCtor('int64', a, [B, T]);
    };
    return {
      input_ids: fill(ids, pad),
      attention_mask: fill(mask, 0),
      ...(types ? { token_type_ids: fill(types, 0) } : {}),
    };
  }

  notes(): string[] {
    return [
      `onnx encoder: ${basename(this.dir)} via transformers.js on onnxruntime-node, ${this.pooling} pooling${this.normalize ? ', L2-normalised' : ''}, at most ${this.maxLength} tokens`,
    ];
  }

  async close(): Promise<void> {
    await this.model?.dispose();
  }
}
