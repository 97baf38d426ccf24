/**
 * The one atomic file writer of the project (safetensors, masks, run manifests, grid records and reports use it):
 * bytes go to a temporary `<path>.tmp-<pid>-<hex>` in the same directory, are fsynced, and the temporary is renamed
 * over `path` only when complete, then the directory is fsynced (best effort) so the rename itself is durable. On any
 * failure the temporary is removed, so `path` is either the old file or the whole new one, never half of one.
 * Temporaries left by a killed process are recognisable by the pid in their name (`apps/eval` removes stale ones).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ModelLoadError } from './errors.js';
import { InvalidArgumentError } from '@dass/errors';

/** A fresh temporary path beside `path`: `<path>.tmp-<pid>-<12 hex digits>`. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** fsync of the directory makes a rename inside it durable; not every platform allows it, hence best effort. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export interface WriteFileAtomicOptions {
  /** Create `path`'s parent directories first (default false: a missing folder is an error). */
  createParents?: boolean;
}

/**
 * Writes `data` (bytes, or text as UTF-8) to `path` atomically (see the module comment). Errors: a `path` that is not
 * a non-empty string is a TypeError; a file-system failure (missing folder, permissions, disk full, `path` a
 * directory) is a ModelLoadError with code `IO` naming `path`, after the temporary has been removed.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteFileAtomicOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', `expected a file path, got ${JSON.stringify(path)}`);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new InvalidArgumentError('data', `expected a Uint8Array or a string, got ${Object.prototype.toString.call(data)}`);
  }
  const temp = tempPathFor(path);
  try {
    if (options.createParents) await mkdir(dirname(path), { recursive: true });
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (typeof (err as NodeJS.ErrnoException)?.syscall === 'string') throw new ModelLoadError(path, 'IO', `cannot write: ${(err as Error).message}`);
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** `writeFileAtomic` of `value` as pretty-printed JSON (2 spaces) with a final newline. */
export function writeJsonAtomic(path: string, value: unknown, options?: WriteFileAtomicOptions): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', options);
}
