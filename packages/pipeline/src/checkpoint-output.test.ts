import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertLlama2cToHf, openLlama2c, openModel } from '@dass/model-loader';
import type { WeightSource } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { openCheckpointOutput } from './checkpoint-output.js';
import { UserInputError } from './user-error.js';

// A switchable full disk: while `full.syscalls` names writeFile/copyFile, those calls fail with ENOSPC the way Node
// reports it (code, syscall, path, dest); otherwise the real functions run.
const full = vi.hoisted(() => ({ syscalls: new Set<string>() }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const enospc = (syscall: string, path: unknown, dest?: unknown) =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall, path: String(path), ...(dest ? { dest: String(dest) } : {}) });
  return {
    ...real,
    writeFile: ((path: string, ...rest: unknown[]) =>
      full.syscalls.has('write') ? Promise.reject(enospc('write', path)) : (real.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest)) as typeof real.writeFile,
    copyFile: ((src: string, dest: string, mode?: number) =>
      full.syscalls.has('copyfile') ? Promise.reject(enospc('copyfile', src, dest)) : real.copyFile(src, dest, mode)) as typeof real.copyFile,
  };
});

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
    { what: 'HF → HF, copying config.json/tokenizer.bin', source: () => hf, modelPath: hfDir, format: 'same' as const, syscall: 'copyfile' },
    { what: 'llama2.c → HF, writing config.json', source: () => llama2c, modelPath: fixtures.stories260K.bin, format: 'hf' as const, syscall: 'write' },
  ];
  for (const c of cases) {
    it(`${c.what}: a UserInputError naming --out, and no temporary left`, async () => {
      const folder = mkdtempSync(join(root, 'out-'));
      const out = join(folder, 'pruned');
      full.syscalls.add(c.syscall);
      const err = await openCheckpointOutput({ source: c.source(), modelPath: c.modelPath, out, format: c.format, targets }).catch((e: unknown) => e);
      full.syscalls.clear();
      expect(err).toBeInstanceOf(UserInputError);
      expect((err as Error).message).toMatch(new RegExp(`^cannot write ${out}: ENOSPC: no space left on device, ${c.syscall}`));
      expect(readdirSync(folder)).toEqual([]);
    });
  }
});
