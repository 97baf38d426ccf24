import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from './errors.js';
import { writeFileAtomic, writeJsonAtomic } from './write-atomic.js';

describe('writeFileAtomic', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dass-atomic-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes bytes and text, overwrites, creates parent folders when asked and leaves no temporary', async () => {
    const path = join(dir, 'sub', 'x.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2]), { createParents: true });
    await writeFileAtomic(path, new Uint8Array([3]));
    expect(Array.from(await readFile(path))).toEqual([3]);
    await writeFileAtomic(path, 'é\n');
    expect(Array.from(await readFile(path))).toEqual([0xc3, 0xa9, 0x0a]);
    expect(await readdir(join(dir, 'sub'))).toEqual(['x.bin']);
  });

  it('writeJsonAtomic writes pretty JSON with a final newline', async () => {
    const path = join(dir, 'run.json');
    await writeJsonAtomic(path, { a: 1, b: [true] });
    expect(await readFile(path, 'utf8')).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n');
  });

  it('a missing folder is a ModelLoadError (IO) naming the path, with no temporary left', async () => {
    const path = join(dir, 'missing-folder', 'run.json');
    const err = await writeJsonAtomic(path, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe('IO');
    expect((err as ModelLoadError).code).toBe('DASS_IO');
    expect((err as Error).message).toMatch(new RegExp(`^${path}: cannot write: ENOENT: no such file or directory`));
  });

  it('removes its temporary when the rename fails (the path is a folder)', async () => {
    const target = join(dir, 'is-a-dir');
    await mkdir(join(target, 'inside'), { recursive: true });
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow(ModelLoadError);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses what is not a path or data', async () => {
    await expect(writeFileAtomic('', 'x')).rejects.toThrow('path: expected a file path, got ""');
    await expect(writeFileAtomic(join(dir, 'y'), 5 as never)).rejects.toThrow('data: expected a Uint8Array or a string, got [object Number]');
  });
});
