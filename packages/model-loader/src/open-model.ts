/**
 * One entry point for "the model the user pointed at": a Hugging Face directory or a llama2.c `.bin` file.
 */
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { ModelLoadError } from './errors.js';
import { openHfModel } from './hf/hf-model.js';
import { openLlama2c } from './llama2c/open-llama2c.js';
import type { WeightSource } from './types.js';

const PICKLE_ADVICE = 'pickle checkpoints are never unpickled; convert with `safetensors` first and pass the directory with config.json';

/**
 * torch.save files are zip archives (`PK\x03\x04`) or, before torch 1.6, a protocol-2 pickle that opens with
 * torch's magic number as a LONG1 (`80 02 8a 0a`). Checking 4 bytes keeps llama2.c headers (dim 640 starts
 * `80 02 00 00`) from looking like pickles.
 */
function looksLikePickle(head: Uint8Array): boolean {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  return starts(0x50, 0x4b, 0x03, 0x04) || starts(0x80, 0x02, 0x8a, 0x0a);
}

export async function openModel(path: string): Promise<WeightSource> {
  if (typeof path !== 'string' || path === '')
    throw new ModelLoadError(String(path), 'BAD_VALUE', `path: expected a model directory or .bin file, got ${JSON.stringify(path)}`);
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new ModelLoadError(path, 'NOT_FOUND', 'no such file or directory');
  }
  if (isDir) return openHfModel(path);

  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') {
    throw new ModelLoadError(path, 'UNSUPPORTED', 'a bare .safetensors file has no config; pass the checkpoint directory (with config.json) instead');
  }
  const head = new Uint8Array(8);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (looksLikePickle(head)) throw new ModelLoadError(path, 'UNSUPPORTED', `this is a PyTorch pickle/zip file: ${PICKLE_ADVICE}`);
  if (ext === '.bin') return openLlama2c(path);
  if (ext === '.pt' || ext === '.pth' || ext === '.ckpt') throw new ModelLoadError(path, 'UNSUPPORTED', PICKLE_ADVICE);
  throw new ModelLoadError(path, 'UNSUPPORTED', 'expected a Hugging Face checkpoint directory (config.json + safetensors) or a llama2.c .bin file');
}
