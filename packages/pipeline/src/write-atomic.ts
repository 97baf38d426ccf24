import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { UserInputError } from './user-error.js';

/**
 * Writes text to a temporary file beside `path`, fsyncs, then renames: readers never see half a file. A file-system
 * failure (disk full, missing folder, permissions) removes the temporary and throws a UserInputError naming `path`.
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  if (typeof text !== 'string') throw new TypeError(`text: expected a string, got ${typeof text}`);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    if (typeof (err as NodeJS.ErrnoException)?.syscall === 'string') throw new UserInputError(`cannot write ${path}: ${(err as Error).message}`);
    throw err;
  }
}

/** `writeTextAtomic` of pretty-printed JSON. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeTextAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
