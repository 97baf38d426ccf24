/** Node-only: a llama2.c checkpoint by path (the parsing itself is `openLlama2cSource`, shared with browsers). */
import { stat } from 'node:fs/promises';
import { ModelLoadError } from '../errors.js';
import { openFileSource } from '../io/file-source.js';
import type { WeightSource } from '../types.js';
import { openLlama2cSource, type Llama2cHeader } from './checkpoint.js';

/**
 * Opens a legacy (v0) llama2.c checkpoint file lazily (see openLlama2cSource). A missing file is `NOT_FOUND`
 * (ModelLoadError naming the path).
 */
export async function openLlama2c(path: string): Promise<WeightSource & { header: Llama2cHeader }> {
  if (typeof path !== 'string' || path === '')
    throw new ModelLoadError(String(path), 'BAD_VALUE', `path: expected a llama2.c .bin file, got ${JSON.stringify(path)}`);
  try {
    await stat(path);
  } catch {
    throw new ModelLoadError(path, 'NOT_FOUND', 'llama2.c checkpoint not found');
  }
  return openLlama2cSource(await openFileSource(path));
}
