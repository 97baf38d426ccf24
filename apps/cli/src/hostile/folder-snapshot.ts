/** Every entry under a folder with a digest of its content: equal snapshots mean nothing was added, removed or changed. */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Files above this (the corpus's sparse 1 GiB ones) are compared by size and mtime instead of read. */
const HASH_LIMIT = 64 * 2 ** 20;

/** Relative path -> `dir`, `link -> target` or `file <sha256>` (size and mtime above 64 MiB), sorted by path. */
export async function folderSnapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const info = await lstat(path);
      if (info.isSymbolicLink()) out[rel] = `link -> ${await readlink(path)}`;
      else if (info.isDirectory()) {
        out[rel] = 'dir';
        await walk(path);
      } else if (info.size > HASH_LIMIT) out[rel] = `file of ${info.size} bytes modified ${info.mtimeMs}`;
      else
        out[rel] = `file ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`;
    }
  };
  await walk(root);
  return out;
}

/** sha256 (hex) of one file. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
