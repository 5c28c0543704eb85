/**
 * Reads `torch.save(state_dict)` files without Python: the legacy format (PyTorch <= 1.5 and the
 * released GenSen models, written by PyTorch 0.3 under Python 2) and the zip format (PyTorch >= 1.6).
 * Layouts: docs/protocol.md §1.1. Tensors come back contiguous, row-major, float32.
 */
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { UserError } from '../util/errors.js';
import { isPyObject, pyTypeName, quoted, unpickle, type GlobalHandler, type PyObject, type PyValue } from './pickle.js';
import { looksLikeZip, ZipArchive, type ZipEntry } from './zip.js';

export interface Tensor {
  readonly shape: number[];
  readonly data: Float32Array;
}

type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const ELEMENT_SIZE: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const STORAGE_CLASSES: Record<string, DType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** A storage as a persistent id names it; its bytes are attached once they are found. */
interface StorageRef extends PyObject {
  readonly pyType: 'storage';
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  /** Element offset into the root storage (legacy storage views) and the view's length. */
  readonly viewOffset: number;
  readonly viewNumel: number;
}

interface TensorRef extends PyObject {
  readonly pyType: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: number[];
  readonly stride: number[];
}

function isTensorRef(v: PyValue | undefined): v is TensorRef {
  return isPyObject(v) && v.pyType === 'tensor';
}

function isStorageRef(v: PyValue | undefined): v is StorageRef {
  return isPyObject(v) && v.pyType === 'storage';
}

function isStorageClass(v: PyValue | undefined): v is PyObject & { module: string; name: string } {
  return isPyObject(v) && v.pyType === 'global' && 'name' in v && typeof v.name === 'string' && v.name in STORAGE_CLASSES;
}

function badFile(file: string, what: string): UserError {
  return new UserError(`${file}: ${what}`);
}

function intArg(file: string, v: PyValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw badFile(file, `corrupt checkpoint: ${what} is ${typeof v === 'number' ? v : pyTypeName(v)}, not a non-negative integer`);
  }
  return v;
}

function intTuple(file: string, v: PyValue | undefined, what: string): number[] {
  if (!Array.isArray(v)) throw badFile(file, `corrupt checkpoint: tensor ${what} is a ${pyTypeName(v)}, not a tuple`);
  return v.map((x) => intArg(file, x, `a tensor ${what} entry`));
}

/** The constructs a state-dict checkpoint may contain; nothing else is ever called. */
function torchGlobals(file: string): Map<string, GlobalHandler> {
  const g = new Map<string, GlobalHandler>();
  const orderedDict: GlobalHandler = {
    call: (args) => {
      const m = new Map<string | number | bigint | boolean | null, PyValue>();
      if (args.length === 0) return m;
      const init = args[0];
      // Python 2 pickled OrderedDict as OrderedDict([[key, value], ...]).
      if (args.length === 1 && Array.isArray(init)) {
        for (const pair of init) {
          if (!Array.isArray(pair) || pair.length !== 2) throw badFile(file, 'corrupt checkpoint: OrderedDict item is not a pair');
          const k = pair[0]!;
          if (typeof k !== 'string' && typeof k !== 'number') throw badFile(file, 'corrupt checkpoint: OrderedDict key is not a string');
          m.set(k, pair[1]!);
        }
        return m;
      }
      if (args.length === 1 && init instanceof Map) return new Map(init);
      throw badFile(file, 'corrupt checkpoint: unexpected OrderedDict arguments');
    },
  };
  g.set('collections.OrderedDict', orderedDict);
  const rebuild = (args: readonly PyValue[], min: number): TensorRef => {
    if (args.length < min) throw badFile(file, `corrupt checkpoint: tensor rebuilt from ${args.length} arguments`);
    const storage = args[0];
    if (!isStorageRef(storage)) throw badFile(file, `corrupt checkpoint: tensor built on a ${pyTypeName(storage)}, not a storage`);
    return {
      pyType: 'tensor',
      storage,
      offset: intArg(file, args[1], 'a tensor offset'),
      size: intTuple(file, args[2], 'size'),
      stride: intTuple(file, args[3], 'stride'),
    };
  };
  // torch 0.3: (storage, offset, size, stride); 0.4+: (..., requires_grad, backward_hooks[, metadata]).
  g.set('torch._utils._rebuild_tensor', { call: (a) => rebuild(a, 4) });
  g.set('torch._utils._rebuild_tensor_v2', { call: (a) => rebuild(a, 4) });
  g.set('torch._utils._rebuild_parameter', {
    call: (a) => {
      if (!isTensorRef(a[0])) throw badFile(file, 'corrupt checkpoint: parameter without tensor data');
      return a[0];
    },
  });
  for (const name of Object.keys(STORAGE_CLASSES)) {
    g.set(`torch.${name}`, {});
    g.set(`torch.cuda.${name}`, {});
  }
  return g;
}

interface StorageTable {
  readonly roots: Map<string, { dtype: DType; numel: number }>;
}

/** persistent_load for both formats; location ('cpu', 'cuda:0') is irrelevant on the host. */
function storageLoader(file: string, table: StorageTable): (pid: PyValue) => PyValue {
  return (pid) => {
    if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
      const what = Array.isArray(pid) && typeof pid[0] === 'string' ? `a pickled ${quoted(pid[0], 40)}` : `a ${pyTypeName(pid)}`;
      throw badFile(file, `not a state dict checkpoint: it references ${what} (only tensors and dicts are read)`);
    }
    const cls = pid[1];
    if (!isStorageClass(cls)) throw badFile(file, `corrupt checkpoint: storage of type ${pyTypeName(cls)}`);
    const dtype = STORAGE_CLASSES[cls.name]!;
    const key = pid[2];
    if (typeof key !== 'string' && typeof key !== 'number') throw badFile(file, 'corrupt checkpoint: storage key is not a string');
    const skey = String(key);
    const numel = intArg(file, pid[4], `the element count of storage ${quoted(skey)}`);
    const prev = table.roots.get(skey);
    if (prev && (prev.dtype !== dtype || prev.numel !== numel)) {
      throw badFile(file, `corrupt checkpoint: storage ${quoted(skey)} declared twice with different types or sizes`);
    }
    table.roots.set(skey, { dtype, numel });
    let viewOffset = 0;
    let viewNumel = numel;
    const view = pid[5];
    if (view !== undefined && view !== null) {
      if (!Array.isArray(view) || view.length !== 3) throw badFile(file, `corrupt checkpoint: bad view of storage ${quoted(skey)}`);
      viewOffset = intArg(file, view[1], 'a storage view offset');
      viewNumel = intArg(file, view[2], 'a storage view size');
      if (viewOffset + viewNumel > numel) {
        throw badFile(file, `corrupt checkpoint: view [${viewOffset}, +${viewNumel}) of storage ${quoted(skey)} exceeds its ${numel} elements`);
      }
    }
    const ref: StorageRef = { pyType: 'storage', key: skey, dtype, numel, viewOffset, viewNumel };
    return ref;
  };
}

interface RawStorage {
  readonly bytes: Uint8Array;
  readonly bigEndian: boolean;
}

/** bfloat16 is the top half of a float32: reinterpret through a shared word. */
const SCRATCH_U32 = new Uint32Array(1);
const SCRATCH_F32 = new Float32Array(SCRATCH_U32.buffer);

function decodeElement(view: DataView, at: number, dtype: DType, le: boolean): number {
  switch (dtype) {
    case 'float32':
      return view.getFloat32(at, le);
    case 'float64':
      return view.getFloat64(at, le);
    case 'float16':
      return halfToFloat(view.getUint16(at, le));
    case 'bfloat16':
      SCRATCH_U32[0] = view.getUint16(at, le) << 16;
      return SCRATCH_F32[0]!;
    case 'int64':
      return Number(view.getBigInt64(at, le));
    case 'int32':
      return view.getInt32(at, le);
    case 'int16':
      return view.getInt16(at, le);
    case 'int8':
      return view.getInt8(at);
    case 'uint8':
      return view.getUint8(at);
    case 'bool':
      return view.getUint8(at) ? 1 : 0;
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Stride-0 (expanded) tensors may legitimately exceed their storage; cap them anyway. */
const MAX_EXPANDED_NUMEL = 1 << 24;
const HOST_LE = endianness() === 'LE';

function materialise(file: string, name: string, t: TensorRef, raw: RawStorage): Tensor {
  const { storage, size, stride } = t;
  if (size.length !== stride.length) throw badFile(file, `corrupt checkpoint: tensor ${quoted(name)} has ${size.length} sizes but ${stride.length} strides`);
  const el = ELEMENT_SIZE[storage.dtype];
  const avail = storage.viewNumel;
  let numel = 1;
  let last = t.offset;
  for (let i = 0; i < size.length; i++) {
    numel *= size[i]!;
    last += (size[i]! - 1) * stride[i]!;
  }
  if (numel > 0 && (last >= avail || !Number.isSafeInteger(numel))) {
    throw badFile(
      file,
      `corrupt checkpoint: tensor ${quoted(name)} of shape [${size.join(', ')}] at offset ${t.offset} reaches past its storage of ${avail} elements`,
    );
  }
  if (numel > avail && numel > MAX_EXPANDED_NUMEL) throw badFile(file, `corrupt checkpoint: tensor ${quoted(name)} is implausibly large`);
  if (numel === 0) return { shape: size, data: new Float32Array(0) };
  // Decode the storage range the tensor reaches once, then gather by strides.
  const src = decodeRange(raw, (storage.viewOffset + t.offset) * el, last - t.offset + 1, storage.dtype);
  let contiguous = true;
  for (let i = size.length - 1, expect = 1; i >= 0; i--) {
    if (size[i]! !== 1 && stride[i]! !== expect) contiguous = false;
    expect *= size[i]!;
  }
  if (contiguous) return { shape: size, data: src.length === numel ? src : src.slice(0, numel) };
  const out = new Float32Array(numel);
  const dims = size.length;
  const inner = size[dims - 1]!;
  const innerStride = stride[dims - 1]!;
  const idx = new Array<number>(dims).fill(0);
  let at = 0;
  for (let k = 0; k < numel; k += inner) {
    for (let j = 0, a = at; j < inner; j++, a += innerStride) out[k + j] = src[a]!;
    // odometer over the outer dimensions
    for (let d = dims - 2; d >= 0; d--) {
      idx[d]!++;
      at += stride[d]!;
      if (idx[d]! < size[d]!) break;
      at -= size[d]! * stride[d]!;
      idx[d] = 0;
    }
  }
  return { shape: size, data: out };
}

let halfTable: Float32Array | undefined;

/** `count` elements from byte `start` of a storage, as float32. */
function decodeRange(raw: RawStorage, start: number, count: number, dtype: DType): Float32Array {
  const el = ELEMENT_SIZE[dtype];
  const bytes = raw.bytes.subarray(start, start + count * el);
  const native = HOST_LE === !raw.bigEndian;
  if (native && (dtype === 'float32' || dtype === 'float16')) {
    // copy into an aligned buffer so that typed views can read it
    const aligned = new Uint8Array(count * el);
    aligned.set(bytes);
    if (dtype === 'float32') return new Float32Array(aligned.buffer);
    if (!halfTable) {
      halfTable = new Float32Array(65536);
      for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
    }
    const halves = new Uint16Array(aligned.buffer);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = halfTable[halves[i]!]!;
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = !raw.bigEndian;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = decodeElement(view, i * el, dtype, le);
  return out;
}

/** Called with every tensor's declared shape before any storage is decoded or inflated. */
export type ShapeInspector = (declared: ReadonlyMap<string, readonly number[]>) => void;

export interface LoadStateDictOptions {
  readonly inspect?: ShapeInspector;
}

/** The tensors' declared shapes, as the pickle names them (same checks as toTensors). */
function declaredShapes(file: string, value: PyValue): Map<string, number[]> {
  if (!(value instanceof Map)) throw badFile(file, `not a state dict: the checkpoint holds a ${pyTypeName(value)}, not a dict of tensors`);
  const out = new Map<string, number[]>();
  for (const [k, v] of value) {
    if (typeof k !== 'string') throw badFile(file, `not a state dict: key ${String(k)} is not a string`);
    if (!isTensorRef(v)) throw badFile(file, `not a state dict of tensors: entry ${quoted(k)} is a ${pyTypeName(v)}`);
    out.set(k, v.size);
  }
  return out;
}

/**
 * Largest checkpoint payload read: the released GenSen models hold about 0.3 GB of float32; ten
 * times the largest plausible model is a generous ceiling that still stops a hostile archive
 * from claiming gigabytes.
 */
export const MAX_CHECKPOINT_BYTES = 4 * 2 ** 30;
/** Deflate cannot expand more than about 1032:1; a member claiming more is not a real deflate stream. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Elements a storage may hold past the furthest one its tensors reach (alignment padding of a
 * flattened cuDNN weight buffer). Anything more is bytes no tensor uses, which a hostile archive
 * would have inflated: 3 MB of compressed zeros claiming 3 GiB behind a 60 x 8 embedding.
 */
const STORAGE_SLACK_ELEMENTS = 4096;

/**
 * Every storage's declared size must be what its tensors use (the furthest element any of them
 * reaches, views included), checked from the pickle alone, before anything is read or inflated.
 */
function checkStorageUse(file: string, value: PyValue, table: StorageTable): void {
  if (!(value instanceof Map)) return; // toTensors says what is wrong
  const reach = new Map<string, number>();
  for (const [k, v] of value) {
    if (!isTensorRef(v)) continue;
    let end = 0;
    if (!v.size.includes(0)) {
      end = v.storage.viewOffset + v.offset + 1;
      for (let i = 0; i < v.size.length; i++) end += (v.size[i]! - 1) * (v.stride[i] ?? 0);
    }
    if (!Number.isSafeInteger(end)) throw badFile(file, `corrupt checkpoint: tensor ${quoted(String(k))} reaches past any storage`);
    reach.set(v.storage.key, Math.max(reach.get(v.storage.key) ?? 0, end));
  }
  for (const [key, decl] of table.roots) {
    const used = reach.get(key) ?? 0;
    if (decl.numel > used + STORAGE_SLACK_ELEMENTS) {
      throw badFile(
        file,
        `corrupt checkpoint: storage ${quoted(key)} declares ${decl.numel} elements but its tensors use ${used}; a storage must be the size its tensors need (re-save the state dict with each tensor cloned)`,
      );
    }
  }
}

function toTensors(file: string, value: PyValue, raws: Map<string, RawStorage>): Map<string, Tensor> {
  if (!(value instanceof Map)) throw badFile(file, `not a state dict: the checkpoint holds a ${pyTypeName(value)}, not a dict of tensors`);
  const out = new Map<string, Tensor>();
  for (const [k, v] of value) {
    if (typeof k !== 'string') throw badFile(file, `not a state dict: key ${String(k)} is not a string`);
    if (!isTensorRef(v)) throw badFile(file, `not a state dict of tensors: entry ${quoted(k)} is a ${pyTypeName(v)}`);
    const raw = raws.get(v.storage.key);
    if (!raw) throw badFile(file, `corrupt checkpoint: no data for storage ${quoted(v.storage.key)} of tensor ${quoted(k)}`);
    out.set(k, materialise(file, k, v, raw));
  }
  return out;
}

function parseLegacy(file: string, data: Uint8Array, opts: LoadStateDictOptions): Map<string, Tensor> {
  let pos = 0;
  let magic: PyValue;
  try {
    const r = unpickle(data, { file, offset: 0 });
    magic = r.value;
    pos = r.end;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    magic = null;
  }
  if (magic !== LEGACY_MAGIC) {
    throw badFile(file, 'not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save file starting with its magic number)');
  }
  const proto = unpickle(data, { file, offset: pos });
  pos = proto.end;
  if (proto.value !== LEGACY_PROTOCOL) throw badFile(file, `unsupported legacy checkpoint protocol ${String(proto.value)} (expected 1001)`);
  const sys = unpickle(data, { file, offset: pos });
  pos = sys.end;
  if (!(sys.value instanceof Map)) throw badFile(file, 'corrupt checkpoint: system info is not a dict');
  if (sys.value.get('little_endian') !== true) throw badFile(file, 'checkpoint was written on a big-endian machine; not supported');

  const table: StorageTable = { roots: new Map() };
  const state = unpickle(data, { file, offset: pos, globals: torchGlobals(file), persistentLoad: storageLoader(file, table) });
  pos = state.end;
  opts.inspect?.(declaredShapes(file, state.value));
  checkStorageUse(file, state.value, table);
  const keyList = unpickle(data, { file, offset: pos });
  pos = keyList.end;
  if (!Array.isArray(keyList.value)) throw badFile(file, 'corrupt checkpoint: storage key list is not a list');

  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const raws = new Map<string, RawStorage>();
  for (const k of keyList.value) {
    if (typeof k !== 'string' && typeof k !== 'number') throw badFile(file, 'corrupt checkpoint: storage key is not a string');
    const key = String(k);
    const decl = table.roots.get(key);
    if (!decl) throw badFile(file, `corrupt checkpoint: data for storage ${quoted(key)} that no tensor uses`);
    if (pos + 8 > data.length) throw badFile(file, `truncated file: storage ${quoted(key)} header expected at byte ${pos}, file ends at ${data.length}`);
    const count = view.getBigInt64(pos, true);
    pos += 8;
    if (count !== BigInt(decl.numel)) {
      throw badFile(file, `corrupt checkpoint: storage ${quoted(key)} has ${count} elements in the data, ${decl.numel} in the pickle`);
    }
    const nbytes = decl.numel * ELEMENT_SIZE[decl.dtype];
    if (pos + nbytes > data.length) {
      throw badFile(file, `truncated file: storage ${quoted(key)} needs ${nbytes} bytes from byte ${pos}, file ends at ${data.length}`);
    }
    raws.set(key, { bytes: data.subarray(pos, pos + nbytes), bigEndian: false });
    pos += nbytes;
  }
  return toTensors(file, state.value, raws);
}

function parseZip(file: string, data: Uint8Array, opts: LoadStateDictOptions): Map<string, Tensor> {
  const zip = new ZipArchive(data, file);
  const pkl = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    throw badFile(file, pkl.length === 0 ? 'a zip archive without data.pkl: not a PyTorch checkpoint' : 'zip archive holds several data.pkl');
  }
  const prefix = pkl[0]!.slice(0, -'data.pkl'.length);
  let bigEndian = false;
  const bo = zip.entries.get(`${prefix}byteorder`);
  if (bo) {
    const text = Buffer.from(zip.read(bo)).toString('latin1');
    if (text !== 'little' && text !== 'big') throw badFile(file, `corrupt checkpoint: byteorder ${quoted(text, 20)}`);
    bigEndian = text === 'big';
  }
  const table: StorageTable = { roots: new Map() };
  const state = unpickle(zip.read(zip.entries.get(pkl[0]!)!), {
    file: `${file} (${pkl[0]})`,
    globals: torchGlobals(file),
    persistentLoad: storageLoader(file, table),
  });
  // Shapes and sizes are settled before anything is inflated: a small archive of compressed
  // zeros may claim gigabytes.
  opts.inspect?.(declaredShapes(file, state.value));
  checkStorageUse(file, state.value, table);
  const members = new Map<string, ZipEntry>();
  let total = 0;
  for (const [key, decl] of table.roots) {
    const entry = zip.entries.get(`${prefix}data/${key}`);
    if (!entry) throw badFile(file, `corrupt checkpoint: archive lacks ${prefix}data/${key}`);
    const nbytes = decl.numel * ELEMENT_SIZE[decl.dtype];
    // torch.save writes a storage's bytes exactly: a member of another size is not its storage.
    if (entry.size !== nbytes) throw badFile(file, `corrupt checkpoint: ${entry.name} has ${entry.size} bytes, its storage ${quoted(key)} is ${nbytes}`);
    if (entry.method !== 0 && entry.size > MAX_DEFLATE_RATIO * entry.compressedSize + 1024) {
      throw badFile(
        file,
        `corrupt checkpoint: ${entry.name} claims ${entry.size} bytes from ${entry.compressedSize} compressed, more than deflate can produce`,
      );
    }
    total += entry.size;
    members.set(key, entry);
  }
  if (total > MAX_CHECKPOINT_BYTES) {
    throw badFile(
      file,
      `checkpoint declares ${(total / 2 ** 30).toFixed(1)} GiB of tensors, more than the ${MAX_CHECKPOINT_BYTES / 2 ** 30} GiB limit for a GenSen encoder`,
    );
  }
  const raws = new Map<string, RawStorage>();
  for (const [key, entry] of members) raws.set(key, { bytes: zip.read(entry), bigEndian });
  return toTensors(file, state.value, raws);
}

/** Parses checkpoint bytes already in memory (`file` names it in errors). */
export function parseStateDict(file: string, data: Uint8Array, opts: LoadStateDictOptions = {}): Map<string, Tensor> {
  if (looksLikeZip(data)) return parseZip(file, data, opts);
  if (data.length >= 262 && Buffer.from(data.subarray(257, 262)).toString('latin1') === 'ustar') {
    throw badFile(file, 'a tar-format checkpoint (PyTorch < 0.1.10); re-save it with a newer PyTorch');
  }
  return parseLegacy(file, data, opts);
}

/** Loads `torch.save(state_dict)` output into float32 tensors, in the file's key order. */
export async function loadStateDict(path: string, opts: LoadStateDictOptions = {}): Promise<Map<string, Tensor>> {
  let data: Uint8Array;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read checkpoint (${code ?? (e as Error).message})`);
  }
  return parseStateDict(path, data, opts);
}
