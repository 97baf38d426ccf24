import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from './user-error.js';
import { writeJsonAtomic } from './write-atomic.js';

describe('writeJsonAtomic (writeTextAtomic)', () => {
  it('writes pretty JSON with a final newline and leaves no temporary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dass-json-'));
    await writeJsonAtomic(join(dir, 'run.json'), { a: 1, b: [true] });
    expect(readFileSync(join(dir, 'run.json'), 'utf8')).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n');
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('a file-system failure is a UserInputError naming the path, with no temporary left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dass-json-'));
    const path = join(dir, 'missing-folder', 'run.json');
    const err = await writeJsonAtomic(path, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot write ${path}: ENOENT: no such file or directory`));
    expect(readdirSync(dir)).toEqual([]);
  });
});
