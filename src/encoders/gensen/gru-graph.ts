/**
 * Builds the ONNX model of one GenSen encoder: embedding Gather, then 1–2 bidirectional GRU layers
 * (ONNX `GRU`, opset 14) with per-sentence `sequence_lens`, so padding never enters the recurrence.
 * PyTorch stores gates as (r, z, n); ONNX wants (z, r, h) and `linear_before_reset=1` to compute
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) exactly as PyTorch does.
 */
import { MessageWriter } from '../../formats/protobuf.js';
import { FLOAT, INT32, INT64, modelProto, node, tensorProto, valueInfo } from '../../formats/onnx.js';

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The layout of the reader's state dict, as far as the encoder needs it. */
export interface GensenWeights {
  readonly vocabSize: number;
  readonly embDim: number;
  readonly hidden: number;
  readonly layers: number;
  readonly tensors: ReadonlyMap<string, NamedTensor>;
}

export const GRAPH_INPUT_IDS = 'ids';
export const GRAPH_INPUT_LENS = 'lens';
export const GRAPH_INPUT_EMB = 'emb';
export const GRAPH_OUTPUT_Y = 'Y';
export const GRAPH_OUTPUT_YH = 'Y_h';

function get(w: GensenWeights, key: string): NamedTensor {
  const t = w.tensors.get(key);
  if (!t) throw new Error(`GenSen weights: missing tensor ${key}`);
  return t;
}

/** PyTorch (r, z, n) row blocks of a [3H, k] matrix → ONNX (z, r, h) order, appended to `out`. */
function reorderGates(src: Float32Array, h: number, k: number, out: Float32Array, offset: number): void {
  const block = h * k;
  out.set(src.subarray(block, 2 * block), offset); // z
  out.set(src.subarray(0, block), offset + block); // r
  out.set(src.subarray(2 * block, 3 * block), offset + 2 * block); // n
}

/** ONNX W, R, B initialiser data for one layer (forward = direction 0, reverse = 1). */
export function onnxGruWeights(w: GensenWeights, layer: number): { W: Float32Array; R: Float32Array; B: Float32Array; inputSize: number } {
  const h = w.hidden;
  const inputSize = layer === 0 ? w.embDim : 2 * h;
  const W = new Float32Array(2 * 3 * h * inputSize);
  const R = new Float32Array(2 * 3 * h * h);
  const B = new Float32Array(2 * 6 * h);
  ['', '_reverse'].forEach((suffix, d) => {
    const wih = get(w, `encoder.weight_ih_l${layer}${suffix}`);
    const whh = get(w, `encoder.weight_hh_l${layer}${suffix}`);
    const bih = get(w, `encoder.bias_ih_l${layer}${suffix}`);
    const bhh = get(w, `encoder.bias_hh_l${layer}${suffix}`);
    if (wih.data.length !== 3 * h * inputSize || whh.data.length !== 3 * h * h) {
      throw new Error(`GenSen weights: layer ${layer}${suffix} has shapes [${wih.shape}], [${whh.shape}], expected [${3 * h},${inputSize}], [${3 * h},${h}]`);
    }
    reorderGates(wih.data, h, inputSize, W, d * 3 * h * inputSize);
    reorderGates(whh.data, h, h, R, d * 3 * h * h);
    reorderGates(bih.data, h, 1, B, d * 6 * h);
    reorderGates(bhh.data, h, 1, B, d * 6 * h + 3 * h);
  });
  return { W, R, B, inputSize };
}

export interface GraphOptions {
  /**
   * When given, the embedding table is baked in as an initialiser; otherwise it is a graph input
   * `emb` (fed on every run), which lets a vocabulary expansion swap tables without a rebuild.
   */
  readonly embedding?: Float32Array;
  /** Emit the per-step outputs `Y` of the top layer (needed by max pooling and --all-states). */
  readonly withSequenceOutput?: boolean;
}

/**
 * Serialised ModelProto. Inputs: `ids` int64 [T, B], `lens` int32 [B] (and `emb` float [V, E]).
 * Outputs: `Y_h` [2, B, H] (forward, backward final states of the top layer) and optionally
 * `Y` [T, 2, B, H] (zero past each sequence's length).
 */
export function buildGensenOnnx(w: GensenWeights, opts: GraphOptions = {}): Uint8Array {
  const h = w.hidden;
  const graph = new MessageWriter();
  const nodes: MessageWriter[] = [];
  const inits: MessageWriter[] = [];

  nodes.push(node('Gather', [GRAPH_INPUT_EMB, GRAPH_INPUT_IDS], ['x0'], [{ name: 'axis', int: 0 }]));
  if (opts.embedding) {
    if (opts.embedding.length % w.embDim !== 0) throw new Error('embedding length is not a multiple of embDim');
    inits.push(tensorProto(GRAPH_INPUT_EMB, [opts.embedding.length / w.embDim, w.embDim], opts.embedding));
  }
  let x = 'x0';
  for (let l = 0; l < w.layers; l++) {
    const { W, R, B, inputSize } = onnxGruWeights(w, l);
    inits.push(tensorProto(`W${l}`, [2, 3 * h, inputSize], W));
    inits.push(tensorProto(`R${l}`, [2, 3 * h, h], R));
    inits.push(tensorProto(`B${l}`, [2, 6 * h], B));
    const top = l === w.layers - 1;
    const y = top ? GRAPH_OUTPUT_Y : `y${l}`;
    const yh = top ? GRAPH_OUTPUT_YH : `yh${l}`;
    const outs = top && !opts.withSequenceOutput ? ['', yh] : [y, yh];
    nodes.push(
      node('GRU', [x, `W${l}`, `R${l}`, `B${l}`, GRAPH_INPUT_LENS], outs, [
        { name: 'direction', str: 'bidirectional' },
        { name: 'hidden_size', int: h },
        { name: 'linear_before_reset', int: 1 },
      ]),
    );
    if (!top) {
      // [T, 2, B, H] → [T, B, 2H]: the next layer reads [forward ; backward] per step.
      nodes.push(node('Transpose', [y], [`yt${l}`], [{ name: 'perm', ints: [0, 2, 1, 3] }]));
      inits.push(tensorProto(`shape${l}`, [3], BigInt64Array.from([0n, 0n, BigInt(2 * h)])));
      nodes.push(node('Reshape', [`yt${l}`, `shape${l}`], [`x${l + 1}`]));
      x = `x${l + 1}`;
    }
  }
  for (const n of nodes) graph.message(1, n);
  graph.string(2, 'gensen');
  for (const t of inits) graph.message(5, t);
  graph.message(11, valueInfo(GRAPH_INPUT_IDS, INT64, ['T', 'B']));
  graph.message(11, valueInfo(GRAPH_INPUT_LENS, INT32, ['B']));
  if (!opts.embedding) graph.message(11, valueInfo(GRAPH_INPUT_EMB, FLOAT, ['V', w.embDim]));
  if (opts.withSequenceOutput) graph.message(12, valueInfo(GRAPH_OUTPUT_Y, FLOAT, ['T', 2, 'B', h]));
  graph.message(12, valueInfo(GRAPH_OUTPUT_YH, FLOAT, [2, 'B', h]));

  return modelProto(graph);
}
