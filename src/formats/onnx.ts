/**
 * A minimal ONNX ModelProto writer: tensors, value infos, nodes and the model wrapper, enough to
 * build small inference graphs in TypeScript and hand them to onnxruntime without Python.
 */
import { MessageWriter } from './protobuf.js';

export const FLOAT = 1;
export const INT32 = 6;
export const INT64 = 7;
export const DOUBLE = 11;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;
const IR_VERSION = 8;
const OPSET = 14;

export function tensorProto(name: string, dims: readonly number[], data: Float32Array | BigInt64Array | Float64Array): MessageWriter {
  const t = new MessageWriter();
  t.packedInts(1, dims);
  t.int(2, data instanceof Float32Array ? FLOAT : data instanceof Float64Array ? DOUBLE : INT64);
  t.string(8, name);
  // raw_data is little-endian; Node runs on little-endian hosts only (x64, arm64).
  t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return t;
}

export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): MessageWriter {
  const shape = new MessageWriter();
  for (const d of dims) {
    const dim = new MessageWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new MessageWriter().int(1, elemType).message(2, shape);
  const type = new MessageWriter().message(1, tensorType);
  return new MessageWriter().string(1, name).message(2, type);
}

export type Attr = { name: string; int?: number; str?: string; ints?: readonly number[] };

export function node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly Attr[] = []): MessageWriter {
  const n = new MessageWriter();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, `${op}_${outputs[0]}`);
  n.string(4, op);
  for (const a of attrs) {
    const m = new MessageWriter().string(1, a.name);
    if (a.int !== undefined) m.int(3, a.int).int(20, ATTR_INT);
    else if (a.str !== undefined) m.string(4, a.str).int(20, ATTR_STRING);
    else if (a.ints !== undefined) m.packedInts(8, a.ints).int(20, ATTR_INTS);
    n.message(5, m);
  }
  return n;
}

/** Wraps a finished GraphProto writer into a serialised ModelProto (default domain, opset 14). */
export function modelProto(graph: MessageWriter): Uint8Array {
  const model = new MessageWriter();
  model.int(1, IR_VERSION);
  model.string(2, 'gensen-eval');
  model.message(7, graph);
  model.message(8, new MessageWriter().string(1, '').int(2, OPSET));
  return model.finish();
}
