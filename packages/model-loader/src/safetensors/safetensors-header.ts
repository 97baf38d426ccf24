/**
 * Validation of a safetensors header (docs/SPEC.md §6) before any tensor byte is read: every entry well-formed, dtypes
 * known, shapes non-negative integers, offsets exactly tiling the data section, sizes matching shapes.
 */
import { ModelLoadError } from '../errors.js';
import type { DType } from '../types.js';
import { DTYPE_SIZES, KNOWN_DTYPES, isKnownDtype, numelOf } from './dtype.js';
import { parseStrictJson, StrictJsonError, type JsonValue } from './strict-json.js';
import { decodeJsonText } from '../text/exact-utf8.js';

/** Largest header accepted (the Python library's own cap is 100 MB). */
export const SAFETENSORS_HEADER_CAP = 100_000_000;

export interface SafetensorsTensorInfo {
  dtype: DType;
  shape: number[];
  /** Absolute position of the tensor's first byte in the file. */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  /** Tensor names in header order. */
  names: string[];
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
}

const describeJson = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;

const isPlainObject = (v: unknown): v is { [key: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the 8-byte length prefix. Returns the header length, or throws when it cannot be a real header
 * for a file of `fileSize` bytes.
 */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) throw new ModelLoadError(file, 'TRUNCATED', `file has ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(SAFETENSORS_HEADER_CAP)) {
    throw new ModelLoadError(file, 'BAD_HEADER', `header length ${length} exceeds the ${SAFETENSORS_HEADER_CAP}-byte cap (not a safetensors file, or corrupt)`);
  }
  const n = Number(length);
  if (n < 2) throw new ModelLoadError(file, 'BAD_HEADER', `header length ${n} is too small to hold a JSON object`);
  if (8 + n > fileSize) {
    throw new ModelLoadError(file, 'TRUNCATED', `header length ${n} runs past the end of the file (${fileSize} bytes, so at most ${fileSize - 8})`);
  }
  return n;
}

export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const dataStart = 8 + headerBytes.byteLength;
  const dataSize = fileSize - dataStart;
  // Exact: a header starting with a BOM is refused (the Rust safetensors reader refuses it too).
  const decoded = decodeJsonText(headerBytes);
  if ('problem' in decoded) throw new ModelLoadError(file, 'BAD_JSON', `header ${decoded.problem}`);
  const text = decoded.text;
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (e) {
    if (e instanceof StrictJsonError) {
      const dup = /^duplicate key (".*") at/.exec(e.message);
      if (dup) throw new ModelLoadError(file, 'BAD_HEADER', `header names tensor ${dup[1]} twice (duplicate JSON key at byte ${e.position})`);
      throw new ModelLoadError(file, 'BAD_JSON', `header is not valid JSON: ${e.message}`);
    }
    throw e;
  }
  if (!isPlainObject(json)) throw new ModelLoadError(file, 'BAD_HEADER', `header must be a JSON object, got ${describeJson(json)}`);

  const metadata: Record<string, string> = {};
  const names: string[] = [];
  const tensors = new Map<string, SafetensorsTensorInfo>();
  const spans: { name: string; begin: number; end: number }[] = [];

  for (const name of Object.keys(json)) {
    const entry = json[name];
    if (name === '__metadata__') {
      if (entry === null) continue; // the Rust library reads null as "no metadata"
      if (!isPlainObject(entry)) throw new ModelLoadError(file, 'BAD_HEADER', `__metadata__ must be an object of strings, got ${describeJson(entry)}`);
      for (const key of Object.keys(entry)) {
        const v = entry[key];
        if (typeof v !== 'string') throw new ModelLoadError(file, 'BAD_HEADER', `__metadata__.${key} must be a string, got ${describeJson(v)}`);
        metadata[key] = v;
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(entry)) throw new ModelLoadError(file, 'BAD_HEADER', `${where}: expected {dtype, shape, data_offsets}, got ${describeJson(entry)}`);
    for (const key of Object.keys(entry)) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') {
        throw new ModelLoadError(file, 'BAD_HEADER', `${where}: unexpected key ${JSON.stringify(key)} (expected dtype, shape, data_offsets)`);
      }
    }
    const { dtype, shape, data_offsets: offsets } = entry;
    if (dtype === undefined) throw new ModelLoadError(file, 'BAD_HEADER', `${where}: missing "dtype"`);
    if (shape === undefined) throw new ModelLoadError(file, 'BAD_HEADER', `${where}: missing "shape"`);
    if (offsets === undefined) throw new ModelLoadError(file, 'BAD_HEADER', `${where}: missing "data_offsets"`);
    if (!isKnownDtype(dtype)) {
      throw new ModelLoadError(file, 'BAD_DTYPE', `${where}: dtype ${JSON.stringify(dtype)} is not supported (expected one of ${KNOWN_DTYPES.join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelLoadError(file, 'BAD_SHAPE', `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const dims = shape as number[];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
      throw new ModelLoadError(file, 'BAD_OFFSETS', `${where}: data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw new ModelLoadError(file, 'BAD_OFFSETS', `${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataSize) {
      throw new ModelLoadError(file, 'TRUNCATED', `${where}: data_offsets [${begin}, ${end}] run past the data section (${dataSize} bytes; file truncated?)`);
    }
    const bytes = DTYPE_SIZES[dtype] * numelOf(dims);
    if (!Number.isSafeInteger(bytes) || bytes !== end - begin) {
      throw new ModelLoadError(
        file,
        'BAD_OFFSETS',
        `${where}: shape [${dims.join(', ')}] of ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    names.push(name);
    tensors.set(name, { dtype, shape: dims.slice(), byteOffset: dataStart + begin, byteLength: end - begin });
    spans.push({ name, begin, end });
  }

  // The data section must be tiled exactly: sorted by start, each tensor begins where the previous ended.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '';
  for (const s of spans) {
    if (s.begin < cursor) {
      throw new ModelLoadError(
        file,
        'BAD_OFFSETS',
        `tensor ${JSON.stringify(s.name)} (data_offsets [${s.begin}, ${s.end}]) overlaps tensor ${JSON.stringify(previous)} (ends at ${cursor})`,
      );
    }
    if (s.begin > cursor) {
      throw new ModelLoadError(
        file,
        'BAD_OFFSETS',
        `tensor ${JSON.stringify(s.name)} starts at ${s.begin} but the previous tensor ${previous ? JSON.stringify(previous) + ' ' : ''}ends at ${cursor} (gap; offsets must be contiguous)`,
      );
    }
    cursor = s.end;
    previous = s.name;
  }
  if (cursor !== dataSize) {
    throw new ModelLoadError(file, 'BAD_OFFSETS', `tensors cover ${cursor} bytes of data but the data section has ${dataSize} (trailing bytes)`);
  }
  return { names, tensors, metadata };
}
