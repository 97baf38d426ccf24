/**
 * A Hugging Face weights directory: `model.safetensors`, or shards listed by `model.safetensors.index.json`
 * (`weight_map`: tensor name -> shard file). Shard names come from a file the user downloaded, so they are confined
 * to the directory: no absolute paths, no `..`, and no symlink that resolves outside it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { openSafetensors, type SafetensorsFile } from './safetensors-file.js';
import { assembleCheckpoint, INDEX_FILE_NAME, INDEX_SIZE_CAP, parseCheckpointIndex, SINGLE_FILE_NAME, type CheckpointDir } from './checkpoint-files.js';

export { INDEX_FILE_NAME, SINGLE_FILE_NAME } from './checkpoint-files.js';
export type { CheckpointDir, CheckpointTensorInfo } from './checkpoint-files.js';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readIndex(indexPath: string): Promise<{ weightMap: [string, string][]; metadata: Record<string, unknown> }> {
  const size = (await stat(indexPath)).size;
  if (size > INDEX_SIZE_CAP) throw new ModelLoadError(indexPath, 'BAD_INDEX', `index is ${size} bytes, over the ${INDEX_SIZE_CAP}-byte cap`);
  return parseCheckpointIndex(indexPath, await readFile(indexPath));
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return !(rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel));
}

/**
 * A Hugging Face hub cache snapshot (`<repo>/snapshots/<revision>/`) holds symlinks into `<repo>/blobs/`: that one
 * folder is accepted as a shard location too, so cached downloads load as they are. Nothing else outside the dir is.
 */
async function hubBlobsDir(realDir: string): Promise<string[]> {
  if (basename(dirname(realDir)) !== 'snapshots') return [];
  try {
    const blobs = await realpath(join(dirname(dirname(realDir)), 'blobs'));
    return (await stat(blobs)).isDirectory() ? [blobs] : [];
  } catch {
    return [];
  }
}

export async function openCheckpointDir(dir: string): Promise<CheckpointDir> {
  if (typeof dir !== 'string' || dir === '') throw new ModelLoadError(String(dir), 'BAD_VALUE', `dir: expected a directory path, got ${JSON.stringify(dir)}`);
  let realDir: string;
  try {
    realDir = await realpath(dir);
    if (!(await stat(realDir)).isDirectory()) throw new ModelLoadError(dir, 'BAD_VALUE', 'is not a directory');
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(dir, 'NOT_FOUND', 'no such directory');
  }

  const allowedRoots = [realDir, ...(await hubBlobsDir(realDir))];
  const singlePath = join(dir, SINGLE_FILE_NAME);
  if (await exists(singlePath)) {
    const realSingle = await realpath(singlePath);
    if (!allowedRoots.some((root) => isInside(root, realSingle))) {
      throw new ModelLoadError(
        singlePath,
        'BAD_INDEX',
        `resolves to ${realSingle}, outside the checkpoint directory (symlinks out of the directory are refused)`,
      );
    }
    return assembleCheckpoint(dir, 'single', new Map([[SINGLE_FILE_NAME, await openSafetensors(singlePath)]]));
  }
  const indexPath = join(dir, INDEX_FILE_NAME);
  if (!(await exists(indexPath))) {
    throw new ModelLoadError(dir, 'NOT_FOUND', `no ${SINGLE_FILE_NAME} or ${INDEX_FILE_NAME} in the directory`);
  }
  const { weightMap, metadata } = await readIndex(indexPath);

  const shardNames = [...new Set(weightMap.map(([, s]) => s))];
  const files = new Map<string, SafetensorsFile>();
  try {
    for (const shard of shardNames) {
      const firstTensor = weightMap.find(([, s]) => s === shard)![0];
      const shardPath = join(dir, shard);
      let realShard: string;
      try {
        realShard = await realpath(shardPath);
      } catch {
        throw new ModelLoadError(shardPath, 'NOT_FOUND', `shard listed in ${INDEX_FILE_NAME} (for tensor ${JSON.stringify(firstTensor)}) does not exist`);
      }
      if (!allowedRoots.some((root) => isInside(root, realShard))) {
        throw new ModelLoadError(
          indexPath,
          'BAD_INDEX',
          `shard ${JSON.stringify(shard)} resolves to ${realShard}, outside the checkpoint directory (symlinks out of the directory are refused)`,
        );
      }
      files.set(shard, await openSafetensors(shardPath));
    }
    return assembleCheckpoint(dir, 'sharded', files, { weightMap, metadata });
  } catch (e) {
    await Promise.all([...files.values()].map((f) => f.close().catch(() => undefined)));
    throw e;
  }
}
