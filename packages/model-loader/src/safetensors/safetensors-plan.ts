/**
 * The safetensors layout shared by every writer (the Node file writer, the in-memory writer a browser uses): the
 * header follows the Python library's layout — `__metadata__` first, tensors in the given order with consecutive
 * offsets, padded with spaces to a multiple of 8 bytes so the data section is 8-byte aligned — and tensor data are
 * encoded little-endian in the declared dtype. No Node built-ins.
 */
import { ModelLoadError } from '../errors.js';
import type { DType } from '../types.js';
import { DTYPE_SIZES, KNOWN_DTYPES, isKnownDtype, numelOf } from './dtype.js';
import { encodeBf16, encodeF16, HOST_IS_LITTLE_ENDIAN } from './half-float.js';

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

export interface PlannedTensor {
  dtype: DType;
  shape: number[];
  numel: number;
  /** Absolute file position. */
  position: number;
  byteLength: number;
}

export interface Plan {
  header: Uint8Array;
  tensors: Map<string, PlannedTensor>;
  fileSize: number;
}

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
  const utf8 = new TextEncoder();
  json += ' '.repeat((8 - (utf8.encode(json).byteLength % 8)) % 8);
  const headerJson = utf8.encode(json);
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

/** A safetensors file assembled in memory (a browser's download): `bytes()` once committed. */
export interface MemorySafetensorsWriter extends SafetensorsWriter {
  /** The finished file, byte for byte what `createSafetensorsWriter` writes for the same entries, metadata and data. */
  bytes(): Uint8Array;
}

/**
 * The in-memory counterpart of `createSafetensorsWriter`: the same plan (header, offsets) and encoding, into one
 * buffer of the file's size. Tensors in any order, each exactly once; `commit` checks every declared tensor was
 * written. Errors: ModelLoadError (BAD_VALUE) naming `name`.
 */
export function createMemorySafetensorsWriter(name: string, entries: readonly SafetensorsEntry[], metadata?: Record<string, string>): MemorySafetensorsWriter {
  const plan = planSafetensors(name, entries, metadata);
  let out: Uint8Array | undefined = new Uint8Array(plan.fileSize);
  out.set(plan.header, 0);
  let state: 'open' | 'committed' | 'aborted' = 'open';
  const written = new Set<string>();
  return {
    path: name,
    tempPath: name,
    async write(tensor, data) {
      if (state !== 'open') bad(name, `write(${JSON.stringify(tensor)}): writer is already ${state}`);
      const t = plan.tensors.get(tensor);
      if (!t) bad(name, `write: tensor ${JSON.stringify(tensor)} was not declared when the writer was created`);
      if (written.has(tensor)) bad(name, `write: tensor ${JSON.stringify(tensor)} was already written`);
      out!.set(encodeTensorData(name, tensor, t.dtype, t.numel, data), t.position);
      written.add(tensor);
    },
    async commit() {
      if (state !== 'open') bad(name, `commit: writer is already ${state}`);
      const missing = [...plan.tensors.keys()].filter((n) => !written.has(n));
      if (missing.length > 0) {
        const shown = missing
          .slice(0, 5)
          .map((n) => JSON.stringify(n))
          .join(', ');
        bad(name, `commit: ${missing.length} declared tensor(s) never written: ${shown}${missing.length > 5 ? ', ...' : ''}`);
      }
      state = 'committed';
    },
    async abort() {
      if (state === 'committed') return;
      state = 'aborted';
      out = undefined;
    },
    bytes() {
      if (state !== 'committed' || !out) bad(name, 'bytes: the file is not committed');
      return out;
    },
  };
}
