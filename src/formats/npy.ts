/**
 * NumPy `.npy` (format 1.0) output, streamed to a temp file and renamed into place on success, so a
 * reader never sees a partial file and outputs larger than memory can be written batch by batch.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { removeQuietly } from '../util/atomic-write.js';
import { basename, dirname, join } from 'node:path';
import { fileError } from '../util/errors.js';
import { checkWriteFault } from '../util/fault-injection.js';
import { trackTemp, untrackTemp } from '../util/temp-files.js';

export type NpyDtype = '<f4' | '<i4';

/** The header block: magic, version 1.0, little-endian length, dict padded so data is 64-aligned. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + dict.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

export class NpyWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private written = 0;
  private readonly expected: number;
  private done = false;

  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    this.expected = shape.reduce((a, b) => a * b, 1);
    let fd = -1;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(this.tmp, 'w');
      trackTemp(this.tmp);
      this.fd = fd;
      this.write(npyHeader(dtype, shape));
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      this.removeTemp();
      throw fileError(path, 'write', e);
    }
  }

  private write(bytes: Uint8Array): void {
    checkWriteFault(this.path);
    writeSync(this.fd, bytes);
  }

  private removeTemp(): void {
    removeQuietly(this.tmp);
    untrackTemp(this.tmp);
  }

  append(values: Float32Array | Int32Array): void {
    if ((this.dtype === '<f4') !== values instanceof Float32Array) throw new Error(`npy ${this.path}: wrong element type`);
    if (this.written + values.length > this.expected) throw new Error(`npy ${this.path}: more values than the shape holds`);
    try {
      this.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } catch (e) {
      this.abort();
      throw fileError(this.path, 'write', e);
    }
    this.written += values.length;
  }

  /** Zero values (padding). */
  appendZeros(n: number): void {
    const chunk = this.dtype === '<f4' ? new Float32Array(Math.min(n, 1 << 16)) : new Int32Array(Math.min(n, 1 << 16));
    let left = n;
    while (left > 0) {
      const k = Math.min(left, chunk.length);
      this.append(chunk.subarray(0, k));
      left -= k;
    }
  }

  close(): void {
    if (this.written !== this.expected) {
      this.abort();
      throw new Error(`npy ${this.path}: wrote ${this.written} values, shape [${this.shape}] needs ${this.expected}`);
    }
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.done = true;
      this.removeTemp();
      throw fileError(this.path, 'write', e);
    }
    untrackTemp(this.tmp);
    this.done = true;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.removeTemp();
  }
}

/** Parses a `.npy` written by NpyWriter (or NumPy, v1.0, little-endian f4/i4, C order). */
export function readNpy(buf: Uint8Array): { dtype: NpyDtype; shape: number[]; data: Float32Array | Int32Array } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (!magic.every((b, i) => buf[i] === b)) throw new Error('not a .npy file');
  const hlen = new DataView(buf.buffer, buf.byteOffset).getUint16(8, true);
  const header = new TextDecoder('latin1').decode(buf.subarray(10, 10 + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== undefined && descr !== '<f4' && descr !== '<i4' && /^[<>|=][fiu][0-9]+$/.test(descr)) {
    const kind = { f: 'float', i: 'int', u: 'uint' }[descr[1] as 'f' | 'i' | 'u'];
    throw new Error(`dtype '${descr}' (${kind}${Number(descr.slice(2)) * 8}${descr[0] === '>' ? ', big-endian' : ''}) is not read: only float32 '<f4' and int32 '<i4'`);
  }
  if ((descr !== '<f4' && descr !== '<i4') || shapeStr === undefined || !/'fortran_order':\s*False/.test(header)) {
    throw new Error(`unsupported .npy header ${header.trim()}`);
  }
  const shape = shapeStr.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  // Copy into a fresh, aligned buffer (Node Buffers are views into a shared pool).
  const body = Uint8Array.prototype.slice.call(buf, 10 + hlen);
  const data = descr === '<f4' ? new Float32Array(body.buffer, 0, body.byteLength / 4) : new Int32Array(body.buffer, 0, body.byteLength / 4);
  return { dtype: descr, shape, data };
}
