/**
 * A minimal protocol-buffers *writer*: just enough wire format (varints, length-delimited fields,
 * packed repeated scalars) to serialise the handful of ONNX messages the GenSen graph needs.
 * Messages are built bottom-up as byte chunks, so nested sizes are always known when written.
 */

export type Chunk = Uint8Array;

const WIRE_VARINT = 0;
const WIRE_I32 = 5;
const WIRE_LEN = 2;

function varintBytes(value: bigint): number[] {
  // Negative int64 values are written as their 64-bit two's complement (10 bytes), as protobuf does.
  let v = value < 0n ? (1n << 64n) + value : value;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function key(field: number, wire: number): number[] {
  return varintBytes(BigInt((field << 3) | wire));
}

/** Accumulates the fields of one message. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  int(field: number, value: number | bigint): this {
    return this.push(Uint8Array.from([...key(field, WIRE_VARINT), ...varintBytes(BigInt(value))]));
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.push(Uint8Array.from([...key(field, WIRE_I32), ...b]));
  }

  bytes(field: number, value: Uint8Array): this {
    this.push(Uint8Array.from([...key(field, WIRE_LEN), ...varintBytes(BigInt(value.length))]));
    return this.push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: MessageWriter): this {
    return this.bytes(field, value.finish());
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const body: number[] = [];
    for (const v of values) body.push(...varintBytes(BigInt(v)));
    return this.bytes(field, Uint8Array.from(body));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}
