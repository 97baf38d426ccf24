/**
 * safetensors in memory: the same header layout as the file writer (`planSafetensors`) and the same validation as
 * the lazy reader (`parseSafetensorsHeader`: length cap, strict JSON that refuses duplicate keys, known dtypes,
 * integer shapes, offsets tiling the data section), for small files handled whole (mask files, test fixtures).
 */
import { ModelLoadError } from '../errors.js';
import type { DType } from '../types.js';
import { isFloatDtype } from './dtype.js';
import { bytesToF32, bytesToInt } from './safetensors-source.js';
import { parseHeaderLength, parseSafetensorsHeader } from './safetensors-header.js';
import { encodeTensorData, planSafetensors, type SafetensorsTensor } from './safetensors-plan.js';

/** A tensor decoded from bytes: float dtypes as Float32Array, integers as `readTyped` gives them. */
export interface DecodedSafetensorsTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

export interface DecodedSafetensors {
  /** Tensor names in header order. */
  names: string[];
  tensors: Map<string, DecodedSafetensorsTensor>;
  metadata: Record<string, string>;
}

/**
 * Encodes tensors (in the given order, consecutive offsets) and string metadata as safetensors bytes, exactly as
 * `writeSafetensors` would write them to a file: `__metadata__` first when given, header padded with spaces to a
 * multiple of 8. Data are encoded as `writeSafetensors` documents. Errors: ModelLoadError (BAD_VALUE) naming `file`.
 */
export function encodeSafetensors(tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>, file = 'safetensors'): Uint8Array {
  if (!Array.isArray(tensors)) throw new ModelLoadError(file, 'BAD_VALUE', `tensors: expected an array of {name, dtype, shape, data}, got ${typeof tensors}`);
  const plan = planSafetensors(file, tensors, metadata);
  const out = new Uint8Array(plan.fileSize);
  out.set(plan.header, 0);
  for (const t of tensors) {
    const planned = plan.tensors.get(t.name)!;
    out.set(encodeTensorData(file, t.name, planned.dtype, planned.numel, t.data), planned.position);
  }
  return out;
}

/**
 * Decodes and validates safetensors bytes (the whole file), copying every tensor out of `bytes`. Errors:
 * ModelLoadError naming `file` (TRUNCATED, BAD_HEADER — including a tensor named twice —, BAD_JSON, BAD_DTYPE,
 * BAD_SHAPE, BAD_OFFSETS), as `openSafetensors` reports them.
 */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors'): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new ModelLoadError(file, 'BAD_VALUE', `bytes: expected a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  const headerLength = parseHeaderLength(bytes.subarray(0, 8), bytes.byteLength, file);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength, file);
  const tensors = new Map<string, DecodedSafetensorsTensor>();
  for (const name of header.names) {
    const info = header.tensors.get(name)!;
    // slice: a fresh, 8-byte aligned buffer of its own, so typed views of any element size line up.
    const raw = bytes.slice(info.byteOffset, info.byteOffset + info.byteLength);
    const data = isFloatDtype(info.dtype) ? bytesToF32(raw, info.dtype) : bytesToInt(raw, info.dtype, file, name);
    tensors.set(name, { name, dtype: info.dtype, shape: info.shape, data });
  }
  return { names: header.names, tensors, metadata: header.metadata };
}
