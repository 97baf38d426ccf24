import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLlama2cToHf, openLlama2c, openModel } from '@dass/model-loader';
import type { WeightSource } from '@dass/model-loader';
import { diskFull, fixtures } from '@dass/model-loader/test';
import { openCheckpointOutput } from './checkpoint-output.js';
import { UserInputError } from './user-error.js';

const root = mkdtempSync(join(tmpdir(), 'dass-output-'));
const hfDir = join(root, 'hf');
let hf: WeightSource;
let llama2c: WeightSource;
beforeAll(async () => {
  const source = await openLlama2c(fixtures.stories260K.bin);
  await convertLlama2cToHf({ checkpoint: source, tokenizerPath: fixtures.stories260K.tokenizer, outDir: hfDir });
  await source.close();
  hf = await openModel(hfDir);
  llama2c = await openModel(fixtures.stories260K.bin);
});
afterAll(async () => {
  await hf.close();
  await llama2c.close();
});

describe('openCheckpointOutput on a full disk', () => {
  const targets = ['gate_proj', 'up_proj', 'down_proj'] as const;
  const cases = [
    { what: 'HF → HF, copying config.json/tokenizer.bin', source: () => hf, modelPath: hfDir, format: 'same' as const, syscall: 'copyfile' as const },
    {
      what: 'llama2.c → HF, writing config.json',
      source: () => llama2c,
      modelPath: fixtures.stories260K.bin,
      format: 'hf' as const,
      syscall: 'write' as const,
    },
  ];
  for (const c of cases) {
    it(`${c.what}: a UserInputError (DASS_IO) naming out, and no temporary left`, async () => {
      const folder = mkdtempSync(join(root, 'out-'));
      const out = join(folder, 'pruned');
      const restore = diskFull([c.syscall]);
      const err = await openCheckpointOutput({ source: c.source(), modelPath: c.modelPath, out, format: c.format, targets })
        .catch((e: unknown) => e)
        .finally(restore);
      expect(err).toBeInstanceOf(UserInputError);
      expect(err).toMatchObject({ code: 'DASS_IO', field: 'out' });
      expect((err as Error).message).toMatch(new RegExp(`^cannot write ${out}: ENOSPC: no space left on device, ${c.syscall}`));
      expect(readdirSync(folder)).toEqual([]);
    });
  }
});
