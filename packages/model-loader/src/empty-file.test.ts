import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLlama2cToHf } from './convert/llama2c-to-hf.js';
import { emptyFileProblem } from './empty-file.js';
import { ModelLoadError } from './errors.js';
import { openLlama2c } from './llama2c/open-llama2c.js';
import { openModel } from './open-model.js';
import { fixtures } from './test/index.js';
import { loadTokenizer } from './tokenizer/load-tokenizer.js';

let root: string;
let hf: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-empty-files-'));
  hf = join(root, 'hf');
  const checkpoint = await openLlama2c(fixtures.stories260K.bin);
  try {
    await convertLlama2cToHf({ checkpoint, tokenizerPath: fixtures.stories260K.tokenizer, outDir: hf });
  } finally {
    await checkpoint.close();
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const BLANK = ' \n\t\r\n  \n';

/** A copy of the converted checkpoint with `file` replaced by `content` (null: removed). */
async function variant(name: string, changes: Record<string, string | null>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.bin']) if (!(f in changes)) await copyFile(join(hf, f), join(dir, f));
  for (const [f, content] of Object.entries(changes)) if (content !== null) await writeFile(join(dir, f), content);
  return dir;
}

async function failure(p: Promise<unknown>): Promise<ModelLoadError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  return err as ModelLoadError;
}

describe('emptyFileProblem', () => {
  it('names 0 bytes and whitespace-only content, and passes anything else', () => {
    expect(emptyFileProblem('', 'a JSON config')).toBe('is empty (0 bytes), expected a JSON config');
    expect(emptyFileProblem(new Uint8Array(0), 'x')).toBe('is empty (0 bytes), expected x');
    expect(emptyFileProblem(BLANK, 'a JSON config')).toBe('holds only whitespace, expected a JSON config');
    expect(emptyFileProblem(new TextEncoder().encode('\u00a0\u2028 \n'), 'x')).toBe('holds only whitespace, expected x');
    expect(emptyFileProblem('{}', 'x')).toBeUndefined();
    expect(emptyFileProblem(new Uint8Array([0]), 'x')).toBeUndefined();
  });
});

describe('every checkpoint and tokenizer loader refuses an empty or blank file, naming it', () => {
  for (const [label, content, problem] of [
    ['empty', '', "is empty (0 bytes), expected the model's JSON config"],
    ['blank', BLANK, "holds only whitespace, expected the model's JSON config"],
  ] as const) {
    it(`config.json ${label}`, async () => {
      const dir = await variant(`config-${label}`, { 'config.json': content });
      const err = await failure(openModel(dir));
      expect(err.message).toBe(`${join(dir, 'config.json')}: ${problem}`);
      expect(err.reason).toBe('BAD_CONFIG');
    });

    it(`model.safetensors.index.json ${label}`, async () => {
      const dir = await variant(`index-${label}`, { 'model.safetensors': null, 'model.safetensors.index.json': content });
      await copyFile(join(hf, 'model.safetensors'), join(dir, 'model-00001-of-00001.safetensors'));
      const err = await failure(openModel(dir));
      expect(err.message).toBe(
        `${join(dir, 'model.safetensors.index.json')}: ${problem.replace("the model's JSON config", 'a JSON index with a "weight_map"')}`,
      );
    });

    it(`tokenizer.json ${label}`, async () => {
      const dir = await variant(`tokenizer-json-${label}`, { 'tokenizer.json': content });
      const err = await failure(loadTokenizer(dir));
      expect(err.message).toBe(`${join(dir, 'tokenizer.json')}: ${problem.replace("the model's JSON config", 'a tokenizers JSON file')}`);
    });
  }

  it('tokenizer_config.json empty beside a tokenizer.json', async () => {
    const dir = join(root, 'tokenizer-config-empty');
    await mkdir(dir);
    const tokenizerJson = JSON.stringify({ version: '1.0', model: { type: 'WordLevel', vocab: { a: 0, '<unk>': 1 }, unk_token: '<unk>' } });
    await writeFile(join(dir, 'tokenizer.json'), tokenizerJson);
    await writeFile(join(dir, 'tokenizer_config.json'), '');
    const err = await failure(loadTokenizer(join(dir, 'tokenizer.json')));
    expect(err.message).toBe(`${join(dir, 'tokenizer_config.json')}: is empty (0 bytes), expected the JSON tokenizer settings`);
  });

  it('binary tokenizers of 0 bytes (.bin, .model); weights of 0 bytes (safetensors, llama2.c)', async () => {
    const dir = join(root, 'binary');
    await mkdir(dir);
    for (const [name, expected] of [
      ['tokenizer.bin', 'a llama2.c tokenizer'],
      ['tokenizer.model', 'a SentencePiece model'],
    ] as const) {
      await writeFile(join(dir, name), '');
      expect((await failure(loadTokenizer(join(dir, name)))).message).toBe(`${join(dir, name)}: is empty (0 bytes), expected ${expected}`);
    }
    await writeFile(join(dir, 'model.bin'), '');
    expect((await failure(openModel(join(dir, 'model.bin')))).message).toBe(`${join(dir, 'model.bin')}: llama2.c header needs 28 bytes, the file has 0`);
    const weights = await variant('weights-empty', { 'model.safetensors': '' });
    expect((await failure(openModel(weights))).message).toContain(`${join(weights, 'model.safetensors')}: file has 0 bytes`);
  });
});
