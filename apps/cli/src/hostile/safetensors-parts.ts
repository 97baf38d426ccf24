/**
 * Taking a valid safetensors file apart and putting (possibly broken) pieces back together, byte by byte, so the
 * corpus can forge headers the library's writer would refuse to produce.
 */

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: unknown[];
  data_offsets: unknown[];
}

export interface SafetensorsParts {
  /** Header length as stored in the 8-byte prefix. */
  headerLength: number;
  /** Tensor entries in header order (`__metadata__` excluded). */
  entries: HeaderEntry[];
  metadata: Record<string, string> | undefined;
  /** The data section (everything after the header). */
  data: Uint8Array;
}

/** Splits a well-formed safetensors file (this is for the corpus's own valid base file, so it trusts the bytes). */
export function splitSafetensors(bytes: Uint8Array): SafetensorsParts {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = value as Record<string, string>;
    else entries.push({ name, ...(value as Omit<HeaderEntry, 'name'>) });
  }
  return { headerLength, entries, metadata, data: bytes.slice(8 + headerLength) };
}

/** The header JSON text for `entries` (in order; a repeated name is written twice, as JSON text allows). */
export function headerText(entries: readonly HeaderEntry[], metadata?: Record<string, string>): string {
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  for (const { name, ...rest } of entries) parts.push(`${JSON.stringify(name)}:${JSON.stringify(rest)}`);
  return `{${parts.join(',')}}`;
}

/** prefix + header + data. `lengthField` overrides the stored header length (to lie about it). */
export function joinSafetensors(header: string | Uint8Array, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + headerBytes.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.byteLength);
  return out;
}

/** Byte range of tensor `name` inside the data section. */
export function dataRange(parts: SafetensorsParts, name: string): [number, number] {
  const entry = parts.entries.find((e) => e.name === name);
  if (!entry) throw new RangeError(`name: no tensor ${JSON.stringify(name)} in the base file`);
  return entry.data_offsets as [number, number];
}

/** The tensors `keep` selects, re-tiled: consecutive offsets in header order and their bytes copied. */
export function retile(parts: SafetensorsParts, keep: (entry: HeaderEntry) => boolean): { entries: HeaderEntry[]; data: Uint8Array } {
  const kept = parts.entries.filter(keep);
  const sizes = kept.map((e) => (e.data_offsets[1] as number) - (e.data_offsets[0] as number));
  const data = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  const entries = kept.map((e, i) => {
    const [begin, end] = e.data_offsets as [number, number];
    data.set(parts.data.subarray(begin, end), at);
    const entry = { ...e, data_offsets: [at, at + sizes[i]!] };
    at += sizes[i]!;
    return entry;
  });
  return { entries, data };
}
