import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { UserInputError } from './user-error.js';

/**
 * Writes JSON to a temporary file beside `path`, fsyncs, then renames: readers never see half a file. A file-system
 * failure removes the temporary and throws a UserInputError naming `path`.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(value, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    // A file-system failure (disk full, missing folder, permissions) is about the path the user chose.
    if (typeof (err as NodeJS.ErrnoException)?.syscall === 'string') throw new UserInputError(`cannot write ${path}: ${(err as Error).message}`);
    throw err;
  }
}
