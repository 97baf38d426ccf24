/**
 * Writes a Hugging Face checkpoint directory with a given model's shapes and seeded random weights, for benchmarks
 * and streaming tests of models that are not available here. Tensors are generated and written one at a time
 * through the streaming safetensors writer, so a checkpoint of many gigabytes never sits in memory (the peak is one
 * tensor in float32 plus its encoded bytes).
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hfConfigJson } from '../hf/hf-config.js';
import { hfTensorShapes } from '../hf/hf-model.js';
import { assertReplaceableOutput } from '../output-paths.js';
import { INDEX_FILE_NAME, SINGLE_FILE_NAME } from '../safetensors/checkpoint-dir.js';
import { DTYPE_SIZES, hasTorchDtype, numelOf, TORCH_DTYPE_OF } from '../safetensors/dtype.js';
import { createSafetensorsWriter } from '../safetensors/safetensors-writer.js';
import type { SafetensorsWriter } from '../safetensors/safetensors-writer.js';
import type { ModelConfig } from '../types.js';
import { tempPathFor } from '../write-atomic.js';
import { fillNormal, tensorStreamSeed } from './seeded-normal.js';
import { InvalidArgumentError } from '@dass/errors';

export type SyntheticDtype = 'F32' | 'F16' | 'BF16';

export interface SyntheticCheckpointOptions {
  /** The directory to create (it must not exist unless `overwrite`, which replaces only a checkpoint folder). */
  dir: string;
  config: ModelConfig;
  /** Storage dtype of every tensor (default F32); config.json's torch_dtype says the same. */
  dtype?: SyntheticDtype;
  /** Default 0. The same seed gives the same weights whatever the dtype's rounding and the shard layout. */
  seed?: number;
  /** Largest shard in bytes: tensors are packed in checkpoint order, a bigger tensor gets a shard of its own.
   * Default: one `model.safetensors`. */
  shardBytes?: number;
  overwrite?: boolean;
  /** After each tensor is written. */
  onTensor?: (progress: { name: string; index: number; count: number; bytesWritten: number; totalBytes: number }) => void;
}

export interface SyntheticCheckpoint {
  dir: string;
  /** Safetensors file names, in order. */
  shards: string[];
  /** Bytes of tensor data (the index's total_size). */
  totalBytes: number;
  parameters: number;
  tensors: number;
}

interface PlannedShard {
  file: string;
  names: string[];
}

/**
 * Values of one synthetic tensor: RMSNorm weights are 1, matrices N(0, 1/in) (a standard initialisation, so
 * activations keep their scale through the layers). Exported so tests can recompute any tensor.
 */
export function syntheticTensorValues(name: string, shape: readonly number[], seed = 0): Float32Array {
  const out = new Float32Array(numelOf(shape));
  if (shape.length === 1) return out.fill(1);
  return fillNormal(out, tensorStreamSeed(seed, name), 1 / Math.sqrt(shape[shape.length - 1]!));
}

function planShards(shapes: Map<string, number[]>, dtype: SyntheticDtype, shardBytes: number | undefined): PlannedShard[] {
  const groups: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const [name, shape] of shapes) {
    const bytes = numelOf(shape) * DTYPE_SIZES[dtype];
    if (shardBytes !== undefined && current.length > 0 && currentBytes + bytes > shardBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(name);
    currentBytes += bytes;
  }
  groups.push(current);
  if (shardBytes === undefined) return [{ file: SINGLE_FILE_NAME, names: groups[0]! }];
  const pad = (i: number) => String(i).padStart(5, '0');
  return groups.map((names, i) => ({ file: `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`, names }));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Generates the checkpoint in a temporary sibling directory and renames it into place when complete, so an
 * interrupted run never leaves a directory that looks finished.
 */
export async function writeSyntheticCheckpoint(options: SyntheticCheckpointOptions): Promise<SyntheticCheckpoint> {
  const { dir, config } = options ?? ({} as SyntheticCheckpointOptions);
  if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError('dir', `expected a directory path, got ${JSON.stringify(dir)}`);
  const dtype = options.dtype ?? 'F32';
  if (!hasTorchDtype(dtype)) throw new InvalidArgumentError('dtype', `expected F32, F16 or BF16, got ${JSON.stringify(dtype)}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError('seed', `expected an integer, got ${seed}`);
  const shardBytes = options.shardBytes;
  if (shardBytes !== undefined && !(Number.isSafeInteger(shardBytes) && shardBytes > 0)) {
    throw new InvalidArgumentError('shardBytes', `expected a positive integer, got ${shardBytes}`);
  }
  // Validates the configuration (and renders config.json) before anything is written.
  const configJson = hfConfigJson({ ...config, torchDtype: TORCH_DTYPE_OF[dtype] });
  const target = resolve(dir);
  if (!options.overwrite && (await exists(target))) throw new Error(`dir: ${dir} already exists (pass overwrite to replace it)`);
  // overwrite replaces a checkpoint folder (a previous synthetic one), never a folder of other files.
  if (options.overwrite) await assertReplaceableOutput({ name: 'dir', path: dir }, 'checkpoint-dir');

  const shapes = hfTensorShapes(config);
  const shards = planShards(shapes, dtype, shardBytes);
  const numel = (name: string) => numelOf(shapes.get(name)!);
  let parameters = 0;
  for (const name of shapes.keys()) parameters += numel(name);
  const totalBytes = parameters * DTYPE_SIZES[dtype];

  const temp = tempPathFor(target);
  await mkdir(temp, { recursive: true });
  let writer: SafetensorsWriter | undefined;
  try {
    let index = 0;
    let bytesWritten = 0;
    for (const shard of shards) {
      writer = await createSafetensorsWriter(
        join(temp, shard.file),
        shard.names.map((name) => ({ name, dtype, shape: shapes.get(name)! })),
        { format: 'pt' },
      );
      for (const name of shard.names) {
        await writer.write(name, syntheticTensorValues(name, shapes.get(name)!, seed));
        bytesWritten += numel(name) * DTYPE_SIZES[dtype];
        options.onTensor?.({ name, index: index++, count: shapes.size, bytesWritten, totalBytes });
      }
      await writer.commit();
      writer = undefined;
    }
    if (shardBytes !== undefined) {
      const weightMap: Record<string, string> = {};
      for (const shard of shards) for (const name of shard.names) weightMap[name] = shard.file;
      await writeFile(join(temp, INDEX_FILE_NAME), JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: weightMap }, null, 2) + '\n');
    }
    await writeFile(join(temp, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
    if (await exists(target)) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (err) {
    await writer?.abort();
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  return { dir, shards: shards.map((s) => s.file), totalBytes, parameters, tensors: shapes.size };
}
