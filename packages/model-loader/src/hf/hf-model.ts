/**
 * A Hugging Face checkpoint directory as a WeightSource: config.json plus (sharded) safetensors. Every tensor the
 * forward pass needs is checked for presence, float dtype and shape when the directory is opened, so a wrong
 * checkpoint fails at once with the tensor's name instead of deep inside a layer.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { openCheckpointDir } from '../safetensors/checkpoint-dir.js';
import { CONFIG_FILE_NAME, CONFIG_SIZE_CAP, hfModelFromCheckpoint, parseHfConfigBytes, refusePickleOnlyEntries, type HfModel } from './hf-model-core.js';

export { CONFIG_FILE_NAME, hfTensorShapeEntries, hfTensorShapes, openHfFiles, parseHfConfigBytes, unusedHfTensors } from './hf-model-core.js';
export type { HfModel } from './hf-model-core.js';
export { unusedTensorsWarning } from '../unused-tensors.js';

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function openHfModel(dir: string): Promise<HfModel> {
  if (typeof dir !== 'string' || dir === '')
    throw new ModelLoadError(String(dir), 'BAD_VALUE', `dir: expected a checkpoint directory, got ${JSON.stringify(dir)}`);
  if (!(await isDirectory(dir))) throw new ModelLoadError(dir, 'NOT_FOUND', 'not a directory (a Hugging Face checkpoint is a directory with config.json)');
  refusePickleOnlyEntries(dir, await readdir(dir));

  const configPath = join(dir, CONFIG_FILE_NAME);
  let bytes: Uint8Array;
  try {
    // Checked before reading: a (sparse) multi-GB config.json would otherwise be read and decoded whole.
    const size = (await stat(configPath)).size;
    if (size > CONFIG_SIZE_CAP) throw new ModelLoadError(configPath, 'BAD_CONFIG', `is ${size} bytes, over the ${CONFIG_SIZE_CAP}-byte cap for a config.json`);
    bytes = await readFile(configPath);
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(configPath, 'NOT_FOUND', 'config.json is missing from the checkpoint directory');
  }
  const config = parseHfConfigBytes(configPath, bytes);

  const checkpoint = await openCheckpointDir(dir);
  return hfModelFromCheckpoint(dir, config, checkpoint, (name) => join(dir, name));
}
