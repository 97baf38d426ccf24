import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputPathError } from '@dass/model-loader';
import { readCalibArtifact, writeCalibArtifact, type CalibArtifactMetadata } from './calib-artifact.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dass-calib-artifact-out-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const meta: CalibArtifactMetadata = {
  sourceSha256: 'a'.repeat(64),
  tokenizerSha256: 'b'.repeat(64),
  seed: 0,
  seqlen: 3,
  nsamples: 2,
  sampler: 'text',
  source: 'data.txt',
};
const ids = { inputIds: Int32Array.from([1, 2, 3, 4, 5, 6]), nsamples: 2, seqlen: 3 };

describe('writeCalibArtifact never replaces an input or a file it did not write', () => {
  it('refuses a path that is one of the inputs (also through a link), leaving the input byte-identical', async () => {
    const data = join(tmp, 'data.txt');
    await writeFile(data, 'Once upon a time there was a text.');
    await symlink(data, join(tmp, 'data-link.txt'));
    for (const path of [data, join(tmp, 'data-link.txt')]) {
      const err = await writeCalibArtifact(path, ids, meta, { inputs: [{ name: 'data', path: data }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputPathError);
      expect((err as Error).message).toContain(`path ${path} is the input data ${data}`);
    }
    expect(await readFile(data, 'utf8')).toBe('Once upon a time there was a text.');
  });

  it('refuses to replace a file that is not safetensors, or a folder, even without inputs', async () => {
    const notes = join(tmp, 'notes.txt');
    await writeFile(notes, 'mine');
    const err = await writeCalibArtifact(notes, ids, meta).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `path ${notes} exists and is not a safetensors file, so it is not an artifact this tool wrote; it is never replaced: remove it yourself or choose another path`,
    );
    expect(await readFile(notes, 'utf8')).toBe('mine');
    await mkdir(join(tmp, 'folder'));
    expect(((await writeCalibArtifact(join(tmp, 'folder'), ids, meta).catch((e: unknown) => e)) as Error).message).toContain(
      'is a folder, not a safetensors file',
    );
  });

  it('replaces a previous artifact', async () => {
    const path = join(tmp, 'calib.safetensors');
    await writeCalibArtifact(path, ids, meta);
    await writeCalibArtifact(path, { ...ids, inputIds: Int32Array.from([6, 5, 4, 3, 2, 1]) }, { ...meta, seed: 7 });
    const back = await readCalibArtifact(path);
    expect([...back.inputIds]).toEqual([6, 5, 4, 3, 2, 1]);
    expect(back.metadata.seed).toBe(7);
  });
});
