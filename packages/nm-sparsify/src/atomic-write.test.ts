import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dass-atomic-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes, overwrites, creates parent folders and leaves no temp file', async () => {
    const path = join(dir, 'sub', 'x.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2]));
    await writeFileAtomic(path, new Uint8Array([3]));
    expect(Array.from(await readFile(path))).toEqual([3]);
    expect(await readdir(join(dir, 'sub'))).toEqual(['x.bin']);
  });

  it('cleans up its temp file when the rename fails', async () => {
    const target = join(dir, 'is-a-dir');
    await mkdir(join(target, 'inside'), { recursive: true });
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
