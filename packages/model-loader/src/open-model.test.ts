import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLlama2cToHf } from './convert/llama2c-to-hf.js';
import { ModelLoadError, type ModelLoadErrorReason } from './errors.js';
import { openLlama2c } from './llama2c/open-llama2c.js';
import { openModel } from './open-model.js';
import { fixtures } from './test/index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-open-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectError(path: string, code: ModelLoadErrorReason, message: RegExp) {
  const err = await openModel(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ModelLoadError);
  expect((err as ModelLoadError).reason).toBe(code);
  expect((err as ModelLoadError).message.startsWith(`${path}: `)).toBe(true);
  expect((err as ModelLoadError).message).toMatch(message);
}

describe('openModel', () => {
  it('opens a llama2.c .bin and a Hugging Face directory', async () => {
    const bin = await openModel(fixtures.stories260K.bin);
    expect(bin.format).toBe('llama2c');
    const source = await openLlama2c(fixtures.stories260K.bin);
    const dir = join(root, 'hf');
    await convertLlama2cToHf({ checkpoint: source, outDir: dir });
    const hf = await openModel(dir);
    expect(hf.format).toBe('hf');
    expect(hf.config).toEqual(bin.config);
    await Promise.all([bin.close(), hf.close(), source.close()]);
  });

  it('refuses PyTorch pickles (zip and legacy) with advice', async () => {
    const zip = join(root, 'pytorch_model.bin');
    await writeFile(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]));
    await expectError(zip, 'UNSUPPORTED', /PyTorch pickle\/zip file: pickle checkpoints are never unpickled; convert with `safetensors` first/);
    const legacy = join(root, 'legacy.pt');
    await writeFile(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46]));
    await expectError(legacy, 'UNSUPPORTED', /pickle checkpoints are never unpickled/);
    const pth = join(root, 'weights.pth');
    await writeFile(pth, 'whatever');
    await expectError(pth, 'UNSUPPORTED', /pickle checkpoints are never unpickled/);
  });

  it('refuses a bare .safetensors file, other files, a missing path and a .bin that is not llama2.c', async () => {
    const st = join(root, 'model.safetensors');
    await writeFile(st, '');
    await expectError(st, 'UNSUPPORTED', /bare \.safetensors file has no config; pass the checkpoint directory/);
    const txt = join(root, 'notes.txt');
    await writeFile(txt, 'hello');
    await expectError(txt, 'UNSUPPORTED', /expected a Hugging Face checkpoint directory .* or a llama2\.c \.bin file/);
    await expectError(join(root, 'absent'), 'NOT_FOUND', /no such file or directory/);
    const junk = join(root, 'junk.bin');
    await writeFile(junk, Buffer.alloc(64, 0xff));
    await expectError(junk, 'BAD_HEADER', /llama2\.c/);
  });

  it('refuses a directory holding only a pickle', async () => {
    const dir = join(root, 'pickle-dir');
    await mkdir(dir);
    await copyFile(fixtures.stories260K.tokenizer, join(dir, 'pytorch_model.bin'));
    await expectError(dir, 'UNSUPPORTED', /found pytorch_model\.bin but no model\.safetensors/);
  });
});
