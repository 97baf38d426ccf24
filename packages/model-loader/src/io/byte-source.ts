/**
 * The file-source boundary: everything that parses a checkpoint or tokenizer reads bytes through a `ByteSource`, so
 * the same code runs on Node paths (`openFileSource`, in the Node-only `file-source.ts`) and on browser
 * `File`/`Blob`/`ArrayBuffer` inputs (`blobSource`, `bytesSource`, here: no Node built-ins).
 */
import { ModelLoadError } from '../errors.js';

/** Random-access bytes of one named input (a file on disk, an uploaded `File`, bytes in memory). */
export interface ByteSource {
  /** What messages call the input: the path given, or the uploaded file's name. */
  readonly name: string;
  /** Length in bytes. */
  readonly size: number;
  /**
   * Fills `into` with the bytes at `[position, position + into.byteLength)`; a range past the end is a
   * ModelLoadError (`TRUNCATED`) naming the input.
   */
  read(position: number, into: Uint8Array): Promise<void>;
  /** Releases the underlying handle (a no-op for in-memory sources). */
  close(): Promise<void>;
}

function checkRange(name: string, size: number, position: number, length: number): void {
  if (!Number.isSafeInteger(position) || position < 0 || position + length > size) {
    throw new ModelLoadError(name, 'TRUNCATED', `needs bytes ${position}..${position + length}, the input has ${size}`);
  }
}

/** Bytes in memory as a ByteSource (no copy; `read` copies out of them). */
export function bytesSource(name: string, data: Uint8Array | ArrayBuffer): ByteSource {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return {
    name,
    size: bytes.byteLength,
    async read(position, into) {
      checkRange(name, bytes.byteLength, position, into.byteLength);
      into.set(bytes.subarray(position, position + into.byteLength));
    },
    async close() {},
  };
}

/**
 * A `Blob` (a browser `File`, or Node's `Blob`) as a ByteSource: each read slices only the range it needs, so a
 * large upload is never held in memory as a whole. `name` defaults to the File's name.
 */
export function blobSource(blob: Blob, name: string = (blob as Blob & { name?: string }).name ?? 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(position, into) {
      checkRange(name, blob.size, position, into.byteLength);
      into.set(new Uint8Array(await blob.slice(position, position + into.byteLength).arrayBuffer()));
    },
    async close() {},
  };
}

/** The whole input as bytes (for small files: tokenizers, configs). */
export async function readAllBytes(source: ByteSource): Promise<Uint8Array> {
  const bytes = new Uint8Array(source.size);
  await source.read(0, bytes);
  return bytes;
}
