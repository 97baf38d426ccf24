/**
 * llama2.c checkpoint -> Hugging Face directory (config.json, model.safetensors, tokenizer.bin). The llama2.c
 * reader already yields HF names and the rotate-half q/k layout, so this is a faithful re-serialisation. The
 * directory is built beside `outDir` and renamed into place at the end: a failure never leaves half a model.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { hfConfigJson } from '../hf/hf-config.js';
import { CONFIG_FILE_NAME } from '../hf/hf-model.js';
import { SINGLE_FILE_NAME } from '../safetensors/checkpoint-dir.js';
import { hasTorchDtype, TORCH_DTYPE_OF } from '../safetensors/dtype.js';
import { createSafetensorsWriter } from '../safetensors/safetensors-writer.js';
import { assertOutputApartFromInputs, assertReplaceableOutput } from '../output-paths.js';
import type { ModelConfig, WeightSource } from '../types.js';

export type ConvertDtype = 'F32' | 'F16' | 'BF16';

export interface ConvertLlama2cOptions {
  /** An opened llama2.c checkpoint (`openLlama2c`). */
  checkpoint: WeightSource;
  /** llama2.c `tokenizer.bin` to copy into the directory as `tokenizer.bin`. */
  tokenizerPath?: string;
  outDir: string;
  /** Storage dtype of the written weights (default F32: bit-identical to the source). */
  dtype?: ConvertDtype;
  /**
   * Replace an existing `outDir` — only an empty folder or a checkpoint folder (config.json + .safetensors, no
   * subfolders); anything else is an OutputPathError. `outDir` may never be, contain or lie inside `checkpoint.path`
   * or `tokenizerPath` (OutputPathError, before anything is read or written).
   */
  force?: boolean;
}

export interface ConvertResult {
  outDir: string;
  tensorCount: number;
  /** Size of model.safetensors in bytes. */
  weightBytes: number;
}

export const LLAMA2C_TOKENIZER_FILE_NAME = 'tokenizer.bin';

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function convertLlama2cToHf(options: ConvertLlama2cOptions): Promise<ConvertResult> {
  const { checkpoint, tokenizerPath, outDir, dtype = 'F32', force = false } = options ?? ({} as ConvertLlama2cOptions);
  if (typeof outDir !== 'string' || outDir === '')
    throw new ModelLoadError(String(outDir), 'BAD_VALUE', `outDir: expected a directory path, got ${JSON.stringify(outDir)}`);
  const bad = (problem: string): never => {
    throw new ModelLoadError(outDir, 'BAD_VALUE', problem);
  };
  if (!checkpoint || typeof checkpoint.readF32 !== 'function') bad('checkpoint: expected an opened llama2.c WeightSource');
  if (checkpoint.format !== 'llama2c')
    bad(`checkpoint: expected a llama2.c checkpoint (format "llama2c"), got format ${JSON.stringify(checkpoint.format)} from ${checkpoint.path}`);
  if (!hasTorchDtype(dtype)) bad(`dtype: expected F32, F16 or BF16, got ${JSON.stringify(dtype)}`);
  if (tokenizerPath !== undefined) {
    if (typeof tokenizerPath !== 'string' || tokenizerPath === '') bad(`tokenizerPath: expected a file path, got ${JSON.stringify(tokenizerPath)}`);
    const isFile = await stat(tokenizerPath).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!isFile) throw new ModelLoadError(tokenizerPath, 'NOT_FOUND', 'tokenizer file not found');
  }
  // Before anything is read or written: the output never replaces, holds or goes inside an input, and `force`
  // replaces only a checkpoint folder (what this converter writes).
  await assertOutputApartFromInputs({ name: 'outDir', path: outDir }, [
    { name: 'checkpoint', path: checkpoint.path },
    { name: 'tokenizerPath', path: tokenizerPath },
  ]);
  const target = resolve(outDir);
  if (!force && (await pathExists(target))) bad('already exists; pass force to replace it');
  if (force) await assertReplaceableOutput({ name: 'outDir', path: outDir }, 'checkpoint-dir');

  const config: ModelConfig = { ...checkpoint.config, architecture: 'LlamaForCausalLM', torchDtype: TORCH_DTYPE_OF[dtype] };
  const configJson = hfConfigJson(config); // validates before anything is written
  const names = checkpoint.tensorNames();
  const entries = names.map((name) => ({ name, dtype, shape: checkpoint.shape(name) }));

  await mkdir(dirname(target), { recursive: true });
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const temp = join(dirname(target), `.${basename(target)}.tmp-${suffix}`);
  await mkdir(temp);
  try {
    await writeFile(join(temp, CONFIG_FILE_NAME), JSON.stringify(configJson, null, 2) + '\n');
    const weightsPath = join(temp, SINGLE_FILE_NAME);
    // format=pt: transformers refuses safetensors metadata without a known framework tag.
    const writer = await createSafetensorsWriter(weightsPath, entries, { format: 'pt' });
    try {
      for (const name of names) {
        const tensor = await checkpoint.readF32(name);
        await writer.write(name, tensor.data);
      }
      await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    if (tokenizerPath !== undefined) await copyFile(tokenizerPath, join(temp, LLAMA2C_TOKENIZER_FILE_NAME));
    const weightBytes = (await stat(weightsPath)).size;

    if (await pathExists(target)) {
      // force: move the old directory aside first so the swap is two renames, then delete it.
      const old = join(dirname(target), `.${basename(target)}.old-${suffix}`);
      await rename(target, old);
      await rename(temp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, target);
    }
    return { outDir: target, tensorCount: names.length, weightBytes };
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw writeFailure(outDir, temp, e);
  }
}

/**
 * A failure to write into `temp` (disk full, quota, I/O error) as a ModelLoadError naming `outDir`, the path the
 * caller gave; failures reading the checkpoint pass through unchanged.
 */
function writeFailure(outDir: string, temp: string, e: unknown): unknown {
  const err = e as (NodeJS.ErrnoException & { dest?: unknown }) | undefined;
  const paths = [err?.path, err?.dest, e instanceof ModelLoadError ? e.file : undefined];
  if (!paths.some((p) => typeof p === 'string' && p.startsWith(temp))) return e;
  if (e instanceof ModelLoadError && e.reason !== 'IO') return e;
  return new ModelLoadError(outDir, 'IO', `cannot write the converted checkpoint: ${(e as Error).message}`);
}
