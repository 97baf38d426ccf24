/** Node-only side of the file-source boundary (see byte-source.ts): a path on disk as a ByteSource. */
import { open, type FileHandle } from 'node:fs/promises';
import { ModelLoadError } from '../errors.js';
import type { ByteSource } from './byte-source.js';

/** Largest single read; Node rejects lengths of 2 GiB and more. */
const READ_CHUNK = 1 << 30;

/**
 * Opens `path` for random-access reads. A missing file is `NOT_FOUND`, a directory `BAD_VALUE`, anything else `IO`
 * (ModelLoadError naming the path); a read past the end (the file shrank on disk) is `TRUNCATED`.
 */
export async function openFileSource(path: string): Promise<ByteSource> {
  let handle: FileHandle | undefined;
  let size: number;
  try {
    handle = await open(path, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = stat.size;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelLoadError(path, 'NOT_FOUND', 'no such file');
    if (code === 'EISDIR') throw new ModelLoadError(path, 'BAD_VALUE', 'is a directory, expected a file');
    throw new ModelLoadError(path, 'IO', `cannot open: ${(e as Error).message}`);
  }
  let open_: FileHandle | undefined = handle;
  return {
    name: path,
    size,
    async read(position, into) {
      if (!open_) throw new ModelLoadError(path, 'IO', 'read after close');
      let done = 0;
      while (done < into.byteLength) {
        const { bytesRead } = await open_.read(into, done, Math.min(READ_CHUNK, into.byteLength - done), position + done);
        if (bytesRead === 0) {
          throw new ModelLoadError(
            path,
            'TRUNCATED',
            `file ended at byte ${position + done} while reading ${into.byteLength} bytes from ${position} (changed on disk?)`,
          );
        }
        done += bytesRead;
      }
    },
    async close() {
      await open_?.close();
      open_ = undefined;
    },
  };
}
