/**
 * Just enough of the zip format to read PyTorch >= 1.6 checkpoints: the central directory
 * (with zip64), stored and deflated members, CRC check. Every offset and size is checked against
 * the file before it is used, and inflation is capped at the declared size, so a corrupt or
 * hostile archive is refused rather than read out of bounds or inflated without limit.
 */
import { Buffer } from 'node:buffer';
import { crc32, inflateRawSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { quoted } from './pickle.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export function looksLikeZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.entries = this.readCentralDirectory();
  }

  private fail(what: string): never {
    throw new UserError(`${this.file}: corrupt or truncated zip archive: ${what}`);
  }

  private u16(at: number): number {
    if (at < 0 || at + 2 > this.data.length) this.fail(`field at byte ${at} lies past the end of the file`);
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    if (at < 0 || at + 4 > this.data.length) this.fail(`field at byte ${at} lies past the end of the file`);
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    if (at < 0 || at + 8 > this.data.length) this.fail(`field at byte ${at} lies past the end of the file`);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`64-bit field at byte ${at} is out of range`);
    return Number(v);
  }

  private findEocd(): number {
    const min = Math.max(0, this.data.length - 22 - 0xffff);
    for (let at = this.data.length - 22; at >= min; at--) {
      if (this.view.getUint32(at, true) === SIG_EOCD) return at;
    }
    this.fail('no end-of-central-directory record (file cut short?)');
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    if (this.data.length < 22) this.fail('file too short');
    const eocd = this.findEocd();
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (this.u32(loc) !== SIG_EOCD64_LOCATOR) this.fail('zip64 locator missing');
      const e64 = this.u64(loc + 8);
      if (this.u32(e64) !== SIG_EOCD64) this.fail('zip64 end record missing');
      count = this.u64(e64 + 32);
      cdSize = this.u64(e64 + 40);
      cdOffset = this.u64(e64 + 48);
    }
    if (cdOffset + cdSize > this.data.length) this.fail('central directory lies past the end of the file');
    // Each central record is at least 46 bytes: a count larger than that allows is corrupt.
    if (count * 46 > cdSize) this.fail(`central directory of ${cdSize} bytes cannot hold ${count} entries`);
    const out = new Map<string, ZipEntry>();
    let at = cdOffset;
    for (let i = 0; i < count; i++) {
      if (this.u32(at) !== SIG_CENTRAL) this.fail(`bad central directory record at byte ${at}`);
      const method = this.u16(at + 10);
      const crc = this.u32(at + 16);
      let compressedSize = this.u32(at + 20);
      let size = this.u32(at + 24);
      const nameLen = this.u16(at + 28);
      const extraLen = this.u16(at + 30);
      const commentLen = this.u16(at + 32);
      let localHeaderOffset = this.u32(at + 42);
      const nameStart = at + 46;
      if (nameStart + nameLen + extraLen + commentLen > this.data.length) this.fail('central record past the end');
      const name = Buffer.from(this.data.buffer, this.data.byteOffset + nameStart, nameLen).toString('utf8');
      // zip64 extra field: the 64-bit values appear only for fields saturated at 0xffffffff.
      let x = nameStart + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = this.u16(x);
        const len = this.u16(x + 2);
        if (x + 4 + len > xEnd) this.fail(`extra field of ${quoted(name)} overruns its record`);
        if (id === 0x0001) {
          let y = x + 4;
          const need = (n: number): void => {
            if (y + n > x + 4 + len) this.fail(`zip64 extra field of ${quoted(name)} too short`);
          };
          if (size === 0xffffffff) {
            need(8);
            size = this.u64(y);
            y += 8;
          }
          if (compressedSize === 0xffffffff) {
            need(8);
            compressedSize = this.u64(y);
            y += 8;
          }
          if (localHeaderOffset === 0xffffffff) {
            need(8);
            localHeaderOffset = this.u64(y);
            y += 8;
          }
        }
        x += 4 + len;
      }
      out.set(name, { name, method, crc, compressedSize, size, localHeaderOffset });
      at = xEnd + commentLen;
    }
    return out;
  }

  /** The member's bytes (a view into the file for stored members), CRC-checked. */
  read(entry: ZipEntry): Uint8Array {
    const h = entry.localHeaderOffset;
    if (this.u32(h) !== SIG_LOCAL) this.fail(`bad local header for ${quoted(entry.name)}`);
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    if (start + entry.compressedSize > this.data.length) {
      this.fail(`member ${quoted(entry.name)} (${entry.compressedSize} bytes at byte ${start}) lies past the end of the file`);
    }
    const raw = this.data.subarray(start, start + entry.compressedSize);
    let out: Uint8Array;
    if (entry.method === 0) {
      if (entry.size !== entry.compressedSize) this.fail(`stored member ${quoted(entry.name)} has inconsistent sizes`);
      out = raw;
    } else if (entry.method === 8) {
      try {
        out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch {
        this.fail(`member ${quoted(entry.name)} does not inflate to its declared ${entry.size} bytes`);
      }
      if (out.length !== entry.size) this.fail(`member ${quoted(entry.name)} inflates to ${out.length} bytes, not ${entry.size}`);
    } else {
      this.fail(`member ${quoted(entry.name)} uses unsupported compression method ${entry.method}`);
    }
    if (crc32(out) >>> 0 !== entry.crc >>> 0) this.fail(`CRC mismatch in member ${quoted(entry.name)}`);
    return out;
  }
}
