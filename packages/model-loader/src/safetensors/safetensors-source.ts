/**
 * The lazy safetensors reader over a `ByteSource` (a file on disk in Node, an uploaded `File` in a browser): opening
 * reads only the length prefix and the header; each tensor is read later by its own byte range, so a model never has
 * to fit in memory. No Node built-ins (the Node entry's `openSafetensors(path)` opens a file and calls
 * `openSafetensorsSource`).
 */
import type { ByteSource } from '../io/byte-source.js';
import { ModelLoadError } from '../errors.js';
import type { DType, HostTensor } from '../types.js';
import { isFloatDtype } from './dtype.js';
import { decodeBf16, decodeF16, HOST_IS_LITTLE_ENDIAN } from './half-float.js';
import { parseHeaderLength, parseSafetensorsHeader, type SafetensorsTensorInfo } from './safetensors-header.js';

export type IntHostTensor = HostTensor<Int32Array> | HostTensor<BigInt64Array> | HostTensor<Uint8Array>;

export interface SafetensorsFile {
  readonly path: string;
  /** `__metadata__` (string to string). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names in header order. */
  names(): string[];
  has(name: string): boolean;
  info(name: string): SafetensorsTensorInfo;
  /** The tensor's bytes exactly as stored (little-endian), in a fresh, 8-byte aligned buffer. */
  readRaw(name: string): Promise<Uint8Array>;
  /** Float tensors (F64/F32/F16/BF16) converted to float32. */
  readF32(name: string): Promise<HostTensor>;
  /**
   * As `readF32`, into a fresh Float32Array on a SharedArrayBuffer that the caller owns (worker threads read it
   * without a copy). Half-precision tensors are decoded through a small reused buffer, not a tensor-sized one.
   */
  readF32Shared(name: string): Promise<HostTensor>;
  /**
   * Rows `rows[i]` of a float tensor [r, ...rest] as float32, one after another ([rows.length, ...rest]): reads only
   * those rows (an embedding lookup without the table).
   */
  readF32Rows(name: string, rows: ArrayLike<number>): Promise<Float32Array>;
  /** Integer tensors: I32/I16/I8 -> Int32Array, I64 -> BigInt64Array, U8/BOOL -> Uint8Array. */
  readTyped(name: string): Promise<IntHostTensor>;
  close(): Promise<void>;
}

/**
 * Bytes per read when a stored tensor is converted to float32: raw bytes go through a buffer of this size (reused)
 * instead of a tensor-sized one, since first-touching fresh memory costs a page fault per 4 KiB.
 */
const DECODE_CHUNK_BYTES = 8 << 20;

/**
 * Opens safetensors bytes through `source` (named `source.name` in every message): reads the length prefix and the
 * header and validates them (ModelLoadError TRUNCATED, BAD_HEADER, BAD_JSON, BAD_DTYPE, BAD_SHAPE, BAD_OFFSETS); the
 * tensors are read on demand. The returned file owns `source` (its `close` closes it; so does a failure here).
 */
export async function openSafetensorsSource(source: ByteSource): Promise<SafetensorsFile> {
  const path = source.name;
  try {
    const fileSize = source.size;
    const prefix = new Uint8Array(8);
    if (fileSize >= 8) await source.read(0, prefix);
    const headerLength = parseHeaderLength(prefix, fileSize, path);
    const headerBytes = new Uint8Array(headerLength);
    await source.read(8, headerBytes);
    const header = parseSafetensorsHeader(headerBytes, fileSize, path);
    return new SafetensorsFileImpl(path, source, header.names, header.tensors, header.metadata);
  } catch (e) {
    await source.close().catch(() => undefined);
    throw e;
  }
}

class SafetensorsFileImpl implements SafetensorsFile {
  private closed = false;
  /** Decode buffers not in use (`decodeInto`). */
  private readonly scratchFree: Uint8Array[] = [];

  constructor(
    readonly path: string,
    private readonly source: ByteSource,
    private readonly order: string[],
    private readonly tensors: Map<string, SafetensorsTensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  names(): string[] {
    return this.order.slice();
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new ModelLoadError(this.path, 'MISSING_TENSOR', `no tensor named ${JSON.stringify(name)}`);
    return { ...info, shape: info.shape.slice() };
  }

  async readRaw(name: string): Promise<Uint8Array> {
    const info = this.info(name);
    if (this.closed) throw new ModelLoadError(this.path, 'IO', `cannot read ${JSON.stringify(name)}: file was closed`);
    // A fresh ArrayBuffer (not a pooled Buffer slice) so typed views of any element size line up.
    const bytes = new Uint8Array(info.byteLength);
    await this.source.read(info.byteOffset, bytes);
    return bytes;
  }

  async readF32(name: string): Promise<HostTensor> {
    const info = this.info(name);
    if (!isFloatDtype(info.dtype)) {
      throw new ModelLoadError(this.path, 'BAD_DTYPE', `tensor ${JSON.stringify(name)} is ${info.dtype}, not a float dtype (use readTyped)`);
    }
    // float32 as stored is its own result; other dtypes are decoded chunk by chunk.
    if (info.dtype === 'F32') return { shape: info.shape, data: bytesToF32(await this.readRaw(name), info.dtype) };
    return { shape: info.shape, data: await this.decodeInto(info, new Float32Array(info.byteLength / dtypeBytes(info.dtype))) };
  }

  async readF32Shared(name: string): Promise<HostTensor> {
    const info = this.info(name);
    if (!isFloatDtype(info.dtype)) {
      throw new ModelLoadError(this.path, 'BAD_DTYPE', `tensor ${JSON.stringify(name)} is ${info.dtype}, not a float dtype (use readTyped)`);
    }
    if (this.closed) throw new ModelLoadError(this.path, 'IO', `cannot read ${JSON.stringify(name)}: file was closed`);
    const out = new Float32Array(new SharedArrayBuffer((info.byteLength / dtypeBytes(info.dtype)) * 4));
    if (info.dtype === 'F32' && HOST_IS_LITTLE_ENDIAN) {
      await this.source.read(info.byteOffset, new Uint8Array(out.buffer));
      return { shape: info.shape, data: out };
    }
    return { shape: info.shape, data: await this.decodeInto(info, out) };
  }

  async readF32Rows(name: string, rows: ArrayLike<number>): Promise<Float32Array> {
    const info = this.info(name);
    if (!isFloatDtype(info.dtype)) {
      throw new ModelLoadError(this.path, 'BAD_DTYPE', `tensor ${JSON.stringify(name)} is ${info.dtype}, not a float dtype (use readTyped)`);
    }
    if (this.closed) throw new ModelLoadError(this.path, 'IO', `cannot read ${JSON.stringify(name)}: file was closed`);
    const count = info.shape[0] ?? 1;
    const width = info.shape.length === 0 ? 1 : info.shape.slice(1).reduce((a, b) => a * b, 1);
    const bytesPer = dtypeBytes(info.dtype);
    const out = new Float32Array(rows.length * width);
    const raw = new Uint8Array(width * bytesPer);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (!Number.isInteger(r) || r < 0 || r >= count)
        throw new RangeError(`readF32Rows(${JSON.stringify(name)}): row ${r} at position ${i} is outside [0, ${count})`);
      await this.source.read(info.byteOffset + r * width * bytesPer, raw);
      bytesToF32Into(raw, info.dtype, out.subarray(i * width, (i + 1) * width));
    }
    return out;
  }

  /** Reads a float tensor chunk by chunk through a reused buffer, converting each chunk into `out`. */
  private async decodeInto(info: SafetensorsTensorInfo, out: Float32Array): Promise<Float32Array> {
    if (this.closed) throw new ModelLoadError(this.path, 'IO', `cannot read: file was closed`);
    const bytesPer = dtypeBytes(info.dtype);
    // Concurrent reads each take their own buffer from the free list.
    const scratch = this.scratchFree.pop() ?? new Uint8Array(DECODE_CHUNK_BYTES);
    try {
      const perChunk = Math.floor(DECODE_CHUNK_BYTES / bytesPer);
      for (let start = 0; start < out.length; start += perChunk) {
        const count = Math.min(perChunk, out.length - start);
        const raw = scratch.subarray(0, count * bytesPer);
        await this.source.read(info.byteOffset + start * bytesPer, raw);
        bytesToF32Into(raw, info.dtype, out.subarray(start, start + count));
      }
    } finally {
      this.scratchFree.push(scratch);
    }
    return out;
  }

  async readTyped(name: string): Promise<IntHostTensor> {
    const info = this.info(name);
    if (isFloatDtype(info.dtype)) {
      throw new ModelLoadError(this.path, 'BAD_DTYPE', `tensor ${JSON.stringify(name)} is ${info.dtype}, a float dtype (use readF32)`);
    }
    const raw = await this.readRaw(name);
    return { shape: info.shape, data: bytesToInt(raw, info.dtype, this.path, name) } as IntHostTensor;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

function dtypeBytes(dtype: DType): number {
  return dtype === 'F64' ? 8 : dtype === 'F32' ? 4 : 2;
}

/** Converts stored little-endian float bytes of `dtype` into `out` (`raw.byteLength / size(dtype)` values). */
export function bytesToF32Into(raw: Uint8Array, dtype: DType, out: Float32Array): Float32Array {
  switch (dtype) {
    case 'F16':
      return decodeF16(raw, out);
    case 'BF16':
      return decodeBf16(raw, out);
    case 'F32':
    case 'F64': {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      if (dtype === 'F32') for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
      else for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    default:
      throw new Error(`bytesToF32: dtype ${dtype} is not a float dtype`);
  }
}

/** Converts stored little-endian float bytes of `dtype` to float32. */
export function bytesToF32(raw: Uint8Array, dtype: DType): Float32Array {
  switch (dtype) {
    case 'F32': {
      if (HOST_IS_LITTLE_ENDIAN && raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const out = new Float32Array(raw.byteLength / 4);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F16':
      return decodeF16(raw);
    case 'BF16':
      return decodeBf16(raw);
    case 'F64': {
      const out = new Float32Array(raw.byteLength / 8);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    default:
      throw new Error(`bytesToF32: dtype ${dtype} is not a float dtype`);
  }
}

/**
 * Converts stored little-endian integer bytes of `dtype` (a fresh, 8-byte aligned buffer) to a typed array:
 * I32/I16/I8 -> Int32Array, I64 -> BigInt64Array, U8/BOOL -> Uint8Array (`raw` itself). A float dtype is a
 * ModelLoadError (BAD_DTYPE) naming `file` and tensor `name`.
 */
export function bytesToInt(raw: Uint8Array, dtype: DType, file: string, name: string): Int32Array | BigInt64Array | Uint8Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const aligned = (size: number) => HOST_IS_LITTLE_ENDIAN && raw.byteOffset % size === 0;
  switch (dtype) {
    case 'U8':
    case 'BOOL':
      return raw;
    case 'I64': {
      if (aligned(8)) return new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
      const out = new BigInt64Array(raw.byteLength / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getBigInt64(i * 8, true);
      return out;
    }
    case 'I32': {
      if (aligned(4)) return new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const out = new Int32Array(raw.byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(raw.byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt8(i);
      return out;
    }
    default:
      throw new ModelLoadError(file, 'BAD_DTYPE', `tensor ${JSON.stringify(name)}: cannot read dtype ${dtype} as integers`);
  }
}
