/**
 * A Hugging Face weights directory: `model.safetensors`, or shards listed by `model.safetensors.index.json`
 * (`weight_map`: tensor name -> shard file). Shard names come from a file the user downloaded, so they are confined
 * to the directory: no absolute paths, no `..`, and no symlink that resolves outside it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { emptyFileProblem } from '../empty-file.js';
import { ModelLoadError } from '../errors.js';
import type { HostTensor } from '../types.js';
import { openSafetensors, type IntHostTensor, type SafetensorsFile } from './safetensors-file.js';
import type { SafetensorsTensorInfo } from './safetensors-header.js';
import { parseStrictJson, StrictJsonError, type JsonValue } from './strict-json.js';
import { decodeJsonText } from '../text/exact-utf8.js';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';
const INDEX_SIZE_CAP = 100_000_000;

export interface CheckpointTensorInfo extends SafetensorsTensorInfo {
  /** Shard file name relative to the directory (e.g. `model-00001-of-00002.safetensors`). */
  shard: string;
}

export interface CheckpointDir {
  readonly dir: string;
  readonly layout: 'single' | 'sharded';
  /** The index's `metadata` object (e.g. total_size) for sharded checkpoints. */
  readonly indexMetadata: Readonly<Record<string, unknown>>;
  /** Tensor names: header order (single file) or weight_map order (sharded). */
  names(): string[];
  /**
   * Sharded only: tensors a shard holds that the index's weight_map does not list. transformers loads through the
   * index, so it never reads them; they are not among `names()`, but a copy of the checkpoint keeps them (read them
   * with `shard(shard).readRaw(name)`). In shard order, then header order.
   */
  readonly unindexed: readonly { name: string; shard: string }[];
  has(name: string): boolean;
  info(name: string): CheckpointTensorInfo;
  /** Shard file names in order of first appearance. */
  shards(): string[];
  shard(shardName: string): SafetensorsFile;
  readRaw(name: string): Promise<Uint8Array>;
  readF32(name: string): Promise<HostTensor>;
  /** `readF32` into a fresh SharedArrayBuffer the caller owns (see SafetensorsFile.readF32Shared). */
  readF32Shared(name: string): Promise<HostTensor>;
  /** Some rows of a float tensor (see SafetensorsFile.readF32Rows). */
  readF32Rows(name: string, rows: ArrayLike<number>): Promise<Float32Array>;
  readTyped(name: string): Promise<IntHostTensor>;
  close(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Rejects shard names that could point outside `dir` before touching the file system. */
function checkShardName(indexPath: string, shard: string, tensor: string): void {
  const where = `weight_map[${JSON.stringify(tensor)}]`;
  if (shard === '') throw new ModelLoadError(indexPath, 'BAD_INDEX', `${where}: shard file name is empty`);
  if (isAbsolute(shard) || /^[\\/]/.test(shard) || /^[A-Za-z]:/.test(shard)) {
    throw new ModelLoadError(
      indexPath,
      'BAD_INDEX',
      `${where}: shard ${JSON.stringify(shard)} is an absolute path (shards must be inside the checkpoint directory)`,
    );
  }
  if (shard.split(/[\\/]/).includes('..')) {
    throw new ModelLoadError(indexPath, 'BAD_INDEX', `${where}: shard ${JSON.stringify(shard)} contains ".." (shards must be inside the checkpoint directory)`);
  }
  if (shard.includes('\0')) throw new ModelLoadError(indexPath, 'BAD_INDEX', `${where}: shard name contains a NUL byte`);
}

async function readIndex(indexPath: string): Promise<{ weightMap: [string, string][]; metadata: Record<string, unknown> }> {
  const size = (await stat(indexPath)).size;
  if (size > INDEX_SIZE_CAP) throw new ModelLoadError(indexPath, 'BAD_INDEX', `index is ${size} bytes, over the ${INDEX_SIZE_CAP}-byte cap`);
  const indexBytes = await readFile(indexPath);
  const empty = emptyFileProblem(indexBytes, 'a JSON index with a "weight_map"');
  if (empty !== undefined) throw new ModelLoadError(indexPath, 'BAD_INDEX', empty);
  const decoded = decodeJsonText(indexBytes);
  if ('problem' in decoded) throw new ModelLoadError(indexPath, 'BAD_JSON', decoded.problem);
  let json: JsonValue;
  try {
    json = parseStrictJson(decoded.text);
  } catch (e) {
    if (e instanceof StrictJsonError) throw new ModelLoadError(indexPath, 'BAD_JSON', `not valid JSON: ${e.message}`);
    throw e;
  }
  const isObject = (v: unknown): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json)) throw new ModelLoadError(indexPath, 'BAD_INDEX', 'index must be a JSON object with a "weight_map"');
  const map = json.weight_map;
  if (!isObject(map))
    throw new ModelLoadError(indexPath, 'BAD_INDEX', `"weight_map" must be an object of tensor name -> shard file, got ${JSON.stringify(map) ?? 'nothing'}`);
  const weightMap: [string, string][] = [];
  for (const tensor of Object.keys(map)) {
    const shard = map[tensor];
    if (typeof shard !== 'string')
      throw new ModelLoadError(indexPath, 'BAD_INDEX', `weight_map[${JSON.stringify(tensor)}] must be a shard file name, got ${JSON.stringify(shard)}`);
    checkShardName(indexPath, shard, tensor);
    weightMap.push([tensor, shard]);
  }
  if (weightMap.length === 0) throw new ModelLoadError(indexPath, 'BAD_INDEX', '"weight_map" lists no tensors');
  const metadata = isObject(json.metadata) ? { ...json.metadata } : {};
  return { weightMap, metadata };
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
    const file = await openSafetensors(singlePath);
    const names = file.names();
    return new CheckpointDirImpl(dir, 'single', {}, names, new Map(names.map((n) => [n, SINGLE_FILE_NAME])), new Map([[SINGLE_FILE_NAME, file]]), []);
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
    for (const [tensor, shard] of weightMap) {
      const file = files.get(shard)!;
      if (!file.has(tensor)) {
        throw new ModelLoadError(file.path, 'MISSING_TENSOR', `tensor ${JSON.stringify(tensor)} is listed in ${INDEX_FILE_NAME} but not in this shard`);
      }
    }
  } catch (e) {
    await Promise.all([...files.values()].map((f) => f.close().catch(() => undefined)));
    throw e;
  }
  const indexed = new Map(weightMap);
  const unindexed: { name: string; shard: string }[] = [];
  for (const [shard, file] of files) for (const name of file.names()) if (indexed.get(name) !== shard) unindexed.push({ name, shard });
  return new CheckpointDirImpl(
    dir,
    'sharded',
    metadata,
    weightMap.map(([t]) => t),
    indexed,
    files,
    unindexed,
  );
}

class CheckpointDirImpl implements CheckpointDir {
  constructor(
    readonly dir: string,
    readonly layout: 'single' | 'sharded',
    readonly indexMetadata: Readonly<Record<string, unknown>>,
    private readonly order: string[],
    private readonly shardOf: Map<string, string>,
    private readonly files: Map<string, SafetensorsFile>,
    readonly unindexed: readonly { name: string; shard: string }[],
  ) {}

  names(): string[] {
    return this.order.slice();
  }

  has(name: string): boolean {
    return this.shardOf.has(name);
  }

  private fileOf(name: string): SafetensorsFile {
    const shard = this.shardOf.get(name);
    if (shard === undefined) throw new ModelLoadError(this.dir, 'MISSING_TENSOR', `no tensor named ${JSON.stringify(name)} in the checkpoint`);
    return this.files.get(shard)!;
  }

  info(name: string): CheckpointTensorInfo {
    return { ...this.fileOf(name).info(name), shard: this.shardOf.get(name)! };
  }

  shards(): string[] {
    return [...this.files.keys()];
  }

  shard(shardName: string): SafetensorsFile {
    const file = this.files.get(shardName);
    if (!file) throw new ModelLoadError(this.dir, 'NOT_FOUND', `no shard named ${JSON.stringify(shardName)} (have ${this.shards().join(', ')})`);
    return file;
  }

  readRaw(name: string): Promise<Uint8Array> {
    return this.fileOf(name).readRaw(name);
  }

  readF32(name: string): Promise<HostTensor> {
    return this.fileOf(name).readF32(name);
  }

  readF32Shared(name: string): Promise<HostTensor> {
    return this.fileOf(name).readF32Shared(name);
  }

  readF32Rows(name: string, rows: ArrayLike<number>): Promise<Float32Array> {
    return this.fileOf(name).readF32Rows(name, rows);
  }

  readTyped(name: string): Promise<IntHostTensor> {
    return this.fileOf(name).readTyped(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
  }
}
