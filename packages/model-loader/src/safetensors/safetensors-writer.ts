/**
 * safetensors writers. Both are atomic: bytes go to `<path>.tmp-<pid>-<random>`, which is fsynced and renamed over
 * `path` only when complete; on failure or abort the temp file is removed, so `path` is either the old file or the
 * whole new one. The header follows the Python library's layout: `__metadata__` first, tensors in the given order
 * with consecutive offsets, padded with spaces to a multiple of 8 bytes so the data section is 8-byte aligned.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ModelLoadError } from '../errors.js';
import type { DType } from '../types.js';
import { DTYPE_SIZES, KNOWN_DTYPES, isKnownDtype, numelOf } from './dtype.js';
import { encodeBf16, encodeF16, HOST_IS_LITTLE_ENDIAN } from './half-float.js';
import { syncDirectory, tempPathFor } from '../write-atomic.js';

/**
 * Tensor data to store. Float32Array is encoded to the entry's float dtype (F32/F16/BF16/F64); Int32Array to an
 * integer dtype (range-checked); BigInt64Array to I64; a Uint8Array is taken as the bytes already encoded in the
 * entry's dtype (little-endian), which for U8/BOOL is simply the data.
 */
export type SafetensorsData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

export interface SafetensorsTensor extends SafetensorsEntry {
  data: SafetensorsData;
}

export interface SafetensorsWriter {
  readonly path: string;
  readonly tempPath: string;
  /** Writes one declared tensor at its precomputed position; any order, each exactly once. */
  write(name: string, data: SafetensorsData): Promise<void>;
  /** Checks every tensor was written, fsyncs and renames the temp file to `path`. */
  commit(): Promise<void>;
  /** Removes the temp file; `path` is left untouched. Safe to call after a failure. */
  abort(): Promise<void>;
}

interface PlannedTensor {
  dtype: DType;
  shape: number[];
  numel: number;
  /** Absolute file position. */
  position: number;
  byteLength: number;
}

interface Plan {
  header: Uint8Array;
  tensors: Map<string, PlannedTensor>;
  fileSize: number;
}

const WRITE_CHUNK = 1 << 30;
/** Values per chunk when float32 is encoded to BF16 on the way out (8 MiB of bytes). */
const ENCODE_CHUNK = 4 << 20;

function bad(path: string, problem: string): never {
  throw new ModelLoadError(path, 'BAD_VALUE', problem);
}

/** Validates the declared entries and computes the header bytes and every tensor's position. */
export function planSafetensors(path: string, entries: readonly SafetensorsEntry[], metadata?: Record<string, string>): Plan {
  if (typeof path !== 'string' || path === '') bad(String(path), `path: expected a file path, got ${JSON.stringify(path)}`);
  if (!Array.isArray(entries)) bad(path, `entries: expected an array of {name, dtype, shape}, got ${typeof entries}`);
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) bad(path, 'metadata: expected an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') bad(path, `metadata.${k}: expected a string, got ${typeof v} ${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  const tensors = new Map<string, PlannedTensor>();
  const pending: { name: string; t: Omit<PlannedTensor, 'position'>; begin: number }[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const [i, entry] of entries.entries()) {
    const { name, dtype, shape } = entry ?? ({} as SafetensorsEntry);
    if (typeof name !== 'string' || name === '') bad(path, `entries[${i}].name: expected a non-empty string, got ${JSON.stringify(name)}`);
    if (name === '__metadata__') bad(path, `entries[${i}].name: "__metadata__" is reserved for metadata`);
    if (seen.has(name)) bad(path, `entries[${i}].name: tensor ${JSON.stringify(name)} is declared twice`);
    if (!isKnownDtype(dtype)) bad(path, `tensor ${JSON.stringify(name)}: dtype ${JSON.stringify(dtype)} is not one of ${KNOWN_DTYPES.join(', ')}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(path, `tensor ${JSON.stringify(name)}: shape must be non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const numel = numelOf(shape);
    const byteLength = numel * DTYPE_SIZES[dtype];
    if (!Number.isSafeInteger(byteLength)) bad(path, `tensor ${JSON.stringify(name)}: shape ${JSON.stringify(shape)} is too large`);
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${offset},${offset + byteLength}]}`);
    seen.add(name);
    pending.push({ name, t: { dtype, shape: shape.slice(), numel, byteLength }, begin: offset });
    offset += byteLength;
  }
  let json = `{${parts.join(',')}}`;
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerJson = Buffer.from(json, 'utf8');
  const header = new Uint8Array(8 + headerJson.byteLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerJson.byteLength), true);
  header.set(headerJson, 8);
  for (const p of pending) tensors.set(p.name, { ...p.t, position: header.byteLength + p.begin });
  return { header, tensors, fileSize: header.byteLength + offset };
}

/** Encodes `data` to the little-endian bytes of `entry.dtype`, checking its kind and element count. */
export function encodeTensorData(path: string, name: string, dtype: DType, numel: number, data: SafetensorsData): Uint8Array {
  const where = `tensor ${JSON.stringify(name)}`;
  const byteLength = numel * DTYPE_SIZES[dtype];
  if (data instanceof Uint8Array) {
    if (data.byteLength !== byteLength) bad(path, `${where}: ${data.byteLength} encoded bytes given, ${dtype} with ${numel} elements needs ${byteLength}`);
    return data;
  }
  const kind = data?.constructor?.name ?? typeof data;
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof BigInt64Array)) {
    bad(path, `${where}: data must be a Float32Array, Int32Array, BigInt64Array or Uint8Array, got ${kind}`);
  }
  if (data.length !== numel) bad(path, `${where}: ${data.length} values given, shape needs ${numel}`);
  const out = new Uint8Array(byteLength);
  const view = new DataView(out.buffer);
  const asBytes = () => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof Float32Array) {
    switch (dtype) {
      case 'F32':
        if (HOST_IS_LITTLE_ENDIAN) return asBytes();
        for (let i = 0; i < numel; i++) view.setFloat32(i * 4, data[i], true);
        return out;
      case 'F16':
        return encodeF16(data);
      case 'BF16':
        return encodeBf16(data);
      case 'F64':
        for (let i = 0; i < numel; i++) view.setFloat64(i * 8, data[i], true);
        return out;
      default:
        return bad(path, `${where}: Float32Array data cannot be stored as ${dtype} (give an Int32Array or encoded bytes)`);
    }
  }
  if (data instanceof BigInt64Array) {
    if (dtype !== 'I64') bad(path, `${where}: BigInt64Array data can only be stored as I64, not ${dtype}`);
    if (HOST_IS_LITTLE_ENDIAN) return asBytes();
    for (let i = 0; i < numel; i++) view.setBigInt64(i * 8, data[i], true);
    return out;
  }
  const ranges: Partial<Record<DType, [number, number]>> = { I16: [-32768, 32767], I8: [-128, 127], U8: [0, 255], BOOL: [0, 1] };
  if (dtype === 'I32') {
    if (HOST_IS_LITTLE_ENDIAN) return asBytes();
    for (let i = 0; i < numel; i++) view.setInt32(i * 4, data[i], true);
    return out;
  }
  if (dtype === 'I64') {
    for (let i = 0; i < numel; i++) view.setBigInt64(i * 8, BigInt(data[i]), true);
    return out;
  }
  const range = ranges[dtype];
  if (!range) return bad(path, `${where}: Int32Array data cannot be stored as ${dtype} (give a Float32Array)`);
  const size = DTYPE_SIZES[dtype];
  for (let i = 0; i < numel; i++) {
    const v = data[i];
    if (v < range[0] || v > range[1]) bad(path, `${where}: value ${v} at index ${i} does not fit ${dtype} [${range[0]}, ${range[1]}]`);
    if (size === 2) view.setInt16(i * 2, v, true);
    else out[i] = v & 0xff;
  }
  return out;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(WRITE_CHUNK, bytes.byteLength - done), position + done);
    done += bytesWritten;
  }
}

/** Opens a streaming writer: offsets come from the declared entries, so tensors may arrive in any order. */
export async function createSafetensorsWriter(
  path: string,
  entries: readonly SafetensorsEntry[],
  metadata?: Record<string, string>,
): Promise<SafetensorsWriter> {
  const plan = planSafetensors(path, entries, metadata);
  const tempPath = tempPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx');
  } catch (e) {
    throw new ModelLoadError(path, 'IO', `cannot create ${tempPath}: ${(e as Error).message}`);
  }
  try {
    await writeAll(handle, plan.header, 0);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw new ModelLoadError(path, 'IO', `cannot write ${tempPath}: ${(e as Error).message}`);
  }
  return new StreamingWriter(path, tempPath, handle, plan);
}

class StreamingWriter implements SafetensorsWriter {
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private readonly claimed = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  /** Encode buffers not in use (concurrent writes take one each). */
  private readonly scratchFree: Uint8Array[] = [];

  constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly plan: Plan,
  ) {}

  async write(name: string, data: SafetensorsData): Promise<void> {
    if (this.state !== 'open') throw new ModelLoadError(this.path, 'BAD_VALUE', `write(${JSON.stringify(name)}): writer is already ${this.state}`);
    const t = this.plan.tensors.get(name);
    if (!t) throw new ModelLoadError(this.path, 'BAD_VALUE', `write: tensor ${JSON.stringify(name)} was not declared when the writer was created`);
    if (this.claimed.has(name)) throw new ModelLoadError(this.path, 'BAD_VALUE', `write: tensor ${JSON.stringify(name)} was already written`);
    // float32 → BF16 goes out in chunks through a small reused buffer (a tensor-sized one is fresh memory to fault in).
    const chunked = t.dtype === 'BF16' && data instanceof Float32Array && data.length === t.numel;
    const bytes = chunked ? undefined : encodeTensorData(this.path, name, t.dtype, t.numel, data);
    this.claimed.add(name);
    const job = bytes ? writeAll(this.handle, bytes, t.position) : this.writeBf16Chunked(data as Float32Array, t.position);
    this.inflight.add(job);
    try {
      await job;
    } catch (e) {
      this.claimed.delete(name);
      throw new ModelLoadError(this.path, 'IO', `writing tensor ${JSON.stringify(name)} to ${this.tempPath}: ${(e as Error).message}`);
    } finally {
      this.inflight.delete(job);
    }
  }

  /** Encodes float32 values to BF16 and writes them at `position`, ENCODE_CHUNK values at a time. */
  private async writeBf16Chunked(values: Float32Array, position: number): Promise<void> {
    const scratch = this.scratchFree.pop() ?? new Uint8Array(2 * ENCODE_CHUNK);
    try {
      for (let start = 0; start < values.length; start += ENCODE_CHUNK) {
        const part = values.subarray(start, Math.min(values.length, start + ENCODE_CHUNK));
        const bytes = encodeBf16(part, scratch.subarray(0, 2 * part.length));
        await writeAll(this.handle, bytes, position + 2 * start);
      }
    } finally {
      this.scratchFree.push(scratch);
    }
  }

  async commit(): Promise<void> {
    if (this.state !== 'open') throw new ModelLoadError(this.path, 'BAD_VALUE', `commit: writer is already ${this.state}`);
    await Promise.allSettled([...this.inflight]);
    const missing = [...this.plan.tensors.keys()].filter((n) => !this.claimed.has(n));
    if (missing.length > 0) {
      const shown = missing
        .slice(0, 5)
        .map((n) => JSON.stringify(n))
        .join(', ');
      throw new ModelLoadError(
        this.path,
        'BAD_VALUE',
        `commit: ${missing.length} declared tensor(s) never written: ${shown}${missing.length > 5 ? ', ...' : ''}`,
      );
    }
    try {
      // Holes would only come from zero-length tails; truncate pins the exact size either way.
      await this.handle.truncate(this.plan.fileSize);
      await this.handle.sync();
      await this.handle.close();
      this.state = 'committed';
      await rename(this.tempPath, this.path);
    } catch (e) {
      this.state = 'aborted';
      await this.handle.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw new ModelLoadError(this.path, 'IO', `cannot commit ${this.tempPath}: ${(e as Error).message}`);
    }
    await syncDirectory(dirname(this.path));
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    const wasOpen = this.state === 'open';
    this.state = 'aborted';
    await Promise.allSettled([...this.inflight]);
    if (wasOpen) await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/** Writes a whole safetensors file at once (atomically). */
export async function writeSafetensors(path: string, tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): Promise<void> {
  if (!Array.isArray(tensors)) bad(String(path), `tensors: expected an array of {name, dtype, shape, data}, got ${typeof tensors}`);
  const writer = await createSafetensorsWriter(path, tensors, metadata);
  try {
    for (const t of tensors) await writer.write(t.name, t.data);
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
