/**
 * Lazy safetensors reader for a path on disk: opening reads only the length prefix and the header; each tensor is
 * read later by its own byte range through one FileHandle, so a model never has to fit in memory. The reader itself
 * (`openSafetensorsSource`, browser-safe) works on any `ByteSource`; this file adds the Node file handle.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ModelLoadError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { openSafetensorsSource, type SafetensorsFile } from './safetensors-source.js';

export { bytesToF32, bytesToF32Into, bytesToInt, openSafetensorsSource } from './safetensors-source.js';
export type { IntHostTensor, SafetensorsFile } from './safetensors-source.js';

/** Largest single read; Node rejects lengths of 2 GiB and more. */
const READ_CHUNK = 1 << 30;

async function readExactly(handle: FileHandle, into: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, Math.min(READ_CHUNK, into.byteLength - done), position + done);
    if (bytesRead === 0) {
      throw new ModelLoadError(
        file,
        'TRUNCATED',
        `file ended at byte ${position + done} while reading ${into.byteLength} bytes from ${position} (changed on disk?)`,
      );
    }
    done += bytesRead;
  }
}

function notFound(file: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') throw new ModelLoadError(file, 'NOT_FOUND', 'no such file');
  if (code === 'EISDIR') throw new ModelLoadError(file, 'BAD_VALUE', 'is a directory, expected a .safetensors file');
  throw new ModelLoadError(file, 'IO', `cannot open: ${(e as Error).message}`);
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  if (typeof path !== 'string' || path === '') throw new ModelLoadError(String(path), 'BAD_VALUE', `path: expected a file path, got ${JSON.stringify(path)}`);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    notFound(path, e);
  }
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ModelLoadError(path, 'BAD_VALUE', 'is not a regular file');
    size = stat.size;
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
  let closed = false;
  const source: ByteSource = {
    name: path,
    size,
    read: (position, into) => readExactly(handle, into, position, path),
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
  return openSafetensorsSource(source);
}
