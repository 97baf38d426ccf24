/**
 * A Hugging Face weights folder, whatever holds its files: `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`weight_map`: tensor name -> shard file). The parsing, the shard checks and the
 * CheckpointDir itself, on safetensors files already opened; no Node built-ins. `checkpoint-dir.ts` opens them from a
 * directory on disk (with its path confinement), `openCheckpointSources` from named `ByteSource`s (a browser's files).
 */
import { emptyFileProblem } from '../empty-file.js';
import { ModelLoadError } from '../errors.js';
import { readAllBytes, type ByteSource } from '../io/byte-source.js';
import type { HostTensor } from '../types.js';
import { openSafetensorsSource, type IntHostTensor, type SafetensorsFile } from './safetensors-source.js';
import type { SafetensorsTensorInfo } from './safetensors-header.js';
import { parseStrictJson, StrictJsonError, type JsonValue } from './strict-json.js';
import { decodeJsonText } from '../text/exact-utf8.js';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';
export const INDEX_SIZE_CAP = 100_000_000;

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

/** Rejects shard names that could point outside `dir` before touching the file system. */
function checkShardName(indexPath: string, shard: string, tensor: string): void {
  const where = `weight_map[${JSON.stringify(tensor)}]`;
  if (shard === '') throw new ModelLoadError(indexPath, 'BAD_INDEX', `${where}: shard file name is empty`);
  if (/^[\\/]/.test(shard) || /^[A-Za-z]:/.test(shard)) {
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

/**
 * The index's `weight_map` (tensor name -> shard file, every shard name confined to the checkpoint's folder) and
 * `metadata`, from the bytes of `model.safetensors.index.json` (named `indexPath` in errors: BAD_INDEX, BAD_JSON).
 */
export function parseCheckpointIndex(indexPath: string, indexBytes: Uint8Array): { weightMap: [string, string][]; metadata: Record<string, unknown> } {
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

/**
 * A CheckpointDir over opened safetensors files: `single` holds `model.safetensors` alone; `sharded` checks that every
 * tensor of the weight map is in its shard (MISSING_TENSOR naming the shard) and lists what the shards hold that the
 * index does not. On a failure the caller still owns (and closes) `files`.
 */
export function assembleCheckpoint(
  dir: string,
  layout: 'single' | 'sharded',
  files: Map<string, SafetensorsFile>,
  index?: { weightMap: [string, string][]; metadata: Record<string, unknown> },
): CheckpointDir {
  if (layout === 'single') {
    const file = files.get(SINGLE_FILE_NAME)!;
    const names = file.names();
    return new CheckpointDirImpl(dir, 'single', {}, names, new Map(names.map((n) => [n, SINGLE_FILE_NAME])), files, []);
  }
  const { weightMap, metadata } = index!;
  for (const [tensor, shard] of weightMap) {
    const file = files.get(shard)!;
    if (!file.has(tensor)) {
      throw new ModelLoadError(file.path, 'MISSING_TENSOR', `tensor ${JSON.stringify(tensor)} is listed in ${INDEX_FILE_NAME} but not in this shard`);
    }
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

/**
 * A checkpoint from named files (a browser's upload: file name -> ByteSource, names without folders). `dir` is what
 * messages call the folder ('' for none: files are then named alone). Errors: ModelLoadError naming the file —
 * NOT_FOUND when neither model.safetensors nor the index is given, or a shard the index lists is not among the files;
 * the index's and each shard's own problems as `openCheckpointDir` reports them. The checkpoint owns the shard sources
 * (its `close` closes them).
 */
export async function openCheckpointSources(dir: string, files: ReadonlyMap<string, ByteSource>): Promise<CheckpointDir> {
  const at = (name: string) => (dir === '' ? name : `${dir}/${name}`);
  const single = files.get(SINGLE_FILE_NAME);
  if (single) return assembleCheckpoint(dir, 'single', new Map([[SINGLE_FILE_NAME, await openSafetensorsSource(single)]]));
  const indexSource = files.get(INDEX_FILE_NAME);
  if (!indexSource) {
    const given = [...files.keys()].filter((n) => n.endsWith('.safetensors'));
    throw new ModelLoadError(
      dir || 'the files given',
      'NOT_FOUND',
      `no ${SINGLE_FILE_NAME} or ${INDEX_FILE_NAME}${given.length ? ` (got ${given.slice(0, 3).join(', ')}${given.length > 3 ? ', ...' : ''}: a sharded checkpoint needs its index too)` : ''}`,
    );
  }
  const indexPath = at(INDEX_FILE_NAME);
  if (indexSource.size > INDEX_SIZE_CAP)
    throw new ModelLoadError(indexPath, 'BAD_INDEX', `index is ${indexSource.size} bytes, over the ${INDEX_SIZE_CAP}-byte cap`);
  const index = parseCheckpointIndex(indexPath, await readAllBytes(indexSource));
  const opened = new Map<string, SafetensorsFile>();
  try {
    for (const shard of new Set(index.weightMap.map(([, s]) => s))) {
      const source = files.get(shard);
      if (!source) {
        const firstTensor = index.weightMap.find(([, s]) => s === shard)![0];
        throw new ModelLoadError(
          at(shard),
          'NOT_FOUND',
          `shard listed in ${INDEX_FILE_NAME} (for tensor ${JSON.stringify(firstTensor)}) is not among the files given`,
        );
      }
      opened.set(shard, await openSafetensorsSource(source));
    }
    return assembleCheckpoint(dir, 'sharded', opened, index);
  } catch (e) {
    await Promise.all([...opened.values()].map((f) => f.close().catch(() => undefined)));
    throw e;
  }
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
