/**
 * A tiny safetensors codec for mask files (U8 and F32 only), so this package needs no model loader.
 * Layout (SPEC §6): u64 little-endian header length, JSON header, data section.
 */
import { endianness } from 'node:os';

export type MaskFileDtype = 'U8' | 'F32';
export interface SafetensorsTensor {
  name: string;
  dtype: MaskFileDtype;
  shape: number[];
  data: Uint8Array | Float32Array;
}

const DTYPE_BYTES: Record<MaskFileDtype, number> = { U8: 1, F32: 4 };
/** Headers larger than this are refused before parsing (a mask file's header is a few KB per tensor). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

if (endianness() !== 'LE') throw new Error('safetensors-bytes: typed arrays are written as stored, which needs a little-endian host');

/** Encodes tensors (F32 first so they stay 4-byte aligned) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: SafetensorsTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const ordered = [...tensors].sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype]);
  const header: Record<string, unknown> = { __metadata__: metadata };
  const seen = new Set<string>();
  let offset = 0;
  for (const t of ordered) {
    if (seen.has(t.name) || t.name === '__metadata__') throw new RangeError(`tensors: duplicate or reserved name ${JSON.stringify(t.name)}`);
    seen.add(t.name);
    const expected = t.shape.reduce((a, b) => a * b, 1);
    const wantType = t.dtype === 'F32' ? Float32Array : Uint8Array;
    if (!(t.data instanceof wantType) || t.data.length !== expected) {
      throw new RangeError(
        `tensor ${t.name}: expected ${expected} ${t.dtype} values for shape [${t.shape.join(', ')}], got ${t.data.length} in a ${t.data.constructor.name}`,
      );
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`metadata.${k}: safetensors metadata values are strings, got ${typeof v}`);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8; // pad with spaces so the data section is 8-byte aligned
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const t of ordered) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Decodes and validates safetensors bytes holding U8/F32 tensors (copies the data out). */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors'): {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
} {
  const fail = (problem: string): never => {
    throw new RangeError(`${file}: ${problem}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors header`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    fail(`header length ${headerLength} exceeds the file (${bytes.length} bytes) or the ${MAX_HEADER_BYTES}-byte cap`);
  }
  let header: Record<string, unknown>;
  try {
    // Exact (ignoreBOM): a header that starts with a BOM is invalid JSON here, as in the Rust safetensors reader.
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: MaskFileDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((info ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (info ?? {}) as Record<string, unknown>;
    if (dtype !== 'U8' && dtype !== 'F32') fail(`tensor ${name}: dtype ${JSON.stringify(dtype)} is not U8 or F32`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) fail(`tensor ${name}: data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`);
    if (numel * DTYPE_BYTES[dtype as MaskFileDtype] !== end - begin) {
      fail(`tensor ${name}: ${numel} ${dtype as string} values need ${numel * DTYPE_BYTES[dtype as MaskFileDtype]} bytes, span is ${end - begin}`);
    }
    entries.push({ name, dtype: dtype as MaskFileDtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let expectedBegin = 0;
  for (const e of entries) {
    if (e.begin !== expectedBegin) fail(`tensor ${e.name}: data starts at ${e.begin}, expected ${expectedBegin} (gap or overlap)`);
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataLength) fail(`data section has ${dataLength - expectedBegin} trailing bytes`);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const raw = bytes.slice(dataStart + e.begin, dataStart + e.end);
    const data = e.dtype === 'F32' ? new Float32Array(raw.buffer, 0, (e.end - e.begin) / 4) : raw;
    tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}
