import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  assertOutputApartFromInputs,
  assertReplaceableOutput,
  createSafetensorsWriter,
  hfConfigJson,
  linearTensorName,
  ModelLoadError,
  llama2cLayout,
  openCheckpointDir,
  parseLlama2cHeader,
  tempPathFor,
} from '@dass/model-loader';
import type { LinearName, SafetensorsWriter, WeightSource } from '@dass/model-loader';
import { UserInputError } from './user-error.js';

import type { CheckpointOutput, OutputFormat } from './checkpoint-sink.js';
import { copyUnprunedTensors, hfOutputLayout, isTargetTensor, llama2cLinearBytes } from './checkpoint-sink.js';

export type { CheckpointOutput, OutputFormat } from './checkpoint-sink.js';

export interface CheckpointOutputOptions {
  source: WeightSource;
  /** The path the source was opened from (HF dir or llama2.c file). */
  modelPath: string;
  out: string;
  format: OutputFormat;
  force?: boolean;
  /** Copied into an HF output made from a llama2.c file (as tokenizer.bin / tokenizer.model / tokenizer.json). */
  tokenizerPath?: string;
  /** Tensors that `writeLinear` will provide later; every other tensor is copied now. */
  targets: readonly LinearName[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Moves `temp` to `target`, replacing an existing target only when forced (old one moved aside, then removed). */
async function publish(temp: string, target: string, force: boolean): Promise<void> {
  if (await exists(target)) {
    if (!force) throw new UserInputError((name) => `${target} already exists; pass ${name('force')} to replace it`, { code: 'DASS_OUTPUT_PATH', field: 'out' });
    const aside = tempPathFor(target + '.old');
    await rename(target, aside);
    await rename(temp, target);
    await rm(aside, { recursive: true, force: true });
    return;
  }
  await rename(temp, target);
}

async function prepare(options: CheckpointOutputOptions, format: 'hf' | 'llama2c'): Promise<void> {
  const { out, modelPath, tokenizerPath } = options;
  const force = options.force ?? false;
  await assertOutputApartFromInputs({ name: 'out', path: out }, [
    { name: 'model', path: modelPath },
    { name: 'tokenizer', path: tokenizerPath },
  ]);
  const target = resolve(out);
  if (!force && (await exists(target)))
    throw new UserInputError((name) => `${out} already exists; pass ${name('force')} to replace it`, { code: 'DASS_OUTPUT_PATH', field: 'out' });
  if (force) await assertReplaceableOutput({ name: 'out', path: out }, format === 'hf' ? 'checkpoint-dir' : 'llama2c-file');
  const parent = dirname(target);
  try {
    if (!(await stat(parent)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new UserInputError(`cannot write ${out}: its folder ${parent} does not exist`, { code: 'DASS_IO', field: 'out' });
  }
}

function unwritable(out: string, err: unknown): never {
  const code = (err as NodeJS.ErrnoException)?.code;
  throw new UserInputError(`cannot write ${out}: ${code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'permission denied' : (err as Error).message}`, {
    code: 'DASS_IO',
    field: 'out',
    cause: err,
  });
}

/**
 * A failure to write inside `temp` (disk full, quota, I/O error: a raw Node error, or the safetensors writer's IO
 * error) as a UserInputError naming `out`; anything else (a bad input tensor) passes through unchanged.
 */
function writeFailure(out: string, temp: string, err: unknown): unknown {
  const e = err as (NodeJS.ErrnoException & { dest?: unknown; file?: unknown }) | undefined;
  const inTemp = [e?.path, e?.dest, ModelLoadError.isInstance(err) ? err.file : undefined].some((p) => typeof p === 'string' && p.startsWith(temp));
  const isWriteError = typeof e?.syscall === 'string' || (ModelLoadError.isInstance(err) && err.code === 'DASS_IO');
  return inTemp && isWriteError ? new UserInputError(`cannot write ${out}: ${(err as Error).message}`, { code: 'DASS_IO', field: 'out', cause: err }) : err;
}

/** Opens the output writer for the requested format (`same` keeps the input's format). */
export async function openCheckpointOutput(options: CheckpointOutputOptions): Promise<CheckpointOutput> {
  const format = options.format === 'same' ? options.source.format : options.format;
  await prepare(options, format as 'hf' | 'llama2c');
  if (options.source.format === 'hf' && format === 'hf') return hfToHf(options);
  if (options.source.format === 'llama2c' && format === 'llama2c') return llama2cToLlama2c(options);
  if (options.source.format === 'llama2c' && format === 'hf') return llama2cToHf(options);
  throw new UserInputError(
    (name) =>
      `${name('outFormat')} ${options.format}: writing a ${options.source.format} model as ${format} is not supported (llama2.c output needs a llama2.c input)`,
    {
      code: 'DASS_UNSUPPORTED',
      field: 'outFormat',
    },
  );
}

async function makeTempDir(out: string): Promise<string> {
  const temp = tempPathFor(resolve(out));
  try {
    await mkdir(temp);
  } catch (err) {
    unwritable(out, err);
  }
  return temp;
}

/** HF dir → HF dir: same shards, dtypes, names and metadata; other files (config, tokenizer, index) copied. */
async function hfToHf(options: CheckpointOutputOptions): Promise<CheckpointOutput> {
  const temp = await makeTempDir(options.out);
  const writers = new Map<string, SafetensorsWriter>();
  const checkpoint = await openCheckpointDir(options.modelPath);
  const { shards: layout, shardOf } = hfOutputLayout(checkpoint);
  try {
    for (const { shard, entries, metadata } of layout) writers.set(shard, await createSafetensorsWriter(join(temp, shard), entries, metadata));
    await copyUnprunedTensors(checkpoint, shardOf, writers, options.targets);
    const shards = new Set(checkpoint.shards());
    for (const entry of await readdir(options.modelPath, { withFileTypes: true })) {
      if (entry.isFile() && !shards.has(entry.name)) await copyFile(join(options.modelPath, entry.name), join(temp, entry.name));
    }
  } catch (err) {
    for (const w of writers.values()) await w.abort();
    await checkpoint.close();
    await rm(temp, { recursive: true, force: true });
    throw writeFailure(options.out, temp, err);
  }
  return {
    path: options.out,
    format: 'hf',
    async writeLinear(layer, linear, data) {
      const name = linearTensorName(layer, linear);
      const shard = shardOf.get(name);
      if (!shard) throw new Error(`${name} is not in ${options.modelPath}`);
      await writers.get(shard)!.write(name, data);
    },
    async commit() {
      for (const w of writers.values()) await w.commit();
      await checkpoint.close();
      await publish(temp, resolve(options.out), options.force ?? false);
    },
    async abort() {
      for (const w of writers.values()) await w.abort();
      await checkpoint.close();
      await rm(temp, { recursive: true, force: true });
    },
  };
}

/** llama2.c file → llama2.c file: a copy of the input with the pruned tensors written over their spans. */
async function llama2cToLlama2c(options: CheckpointOutputOptions): Promise<CheckpointOutput> {
  // The layout comes from the input's header, read before any temporary file exists.
  const input = await open(options.modelPath, 'r');
  const headerBytes = Buffer.alloc(28);
  try {
    await input.read(headerBytes, 0, 28, 0);
  } finally {
    await input.close();
  }
  const { spans } = llama2cLayout(parseLlama2cHeader(headerBytes, options.modelPath));
  const temp = tempPathFor(resolve(options.out));
  let handle: FileHandle;
  try {
    await copyFile(options.modelPath, temp);
    handle = await open(temp, 'r+');
  } catch (err) {
    await rm(temp, { force: true });
    unwritable(options.out, err);
  }
  return {
    path: options.out,
    format: 'llama2c',
    async writeLinear(layer, linear, data) {
      const { offset, bytes } = llama2cLinearBytes(spans, options.modelPath, layer, linear, data);
      try {
        await handle.write(bytes, 0, bytes.byteLength, offset);
      } catch (err) {
        unwritable(options.out, err);
      }
    },
    async commit() {
      await handle.sync();
      await handle.close();
      await publish(temp, resolve(options.out), options.force ?? false);
    },
    async abort() {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
    },
  };
}

/** llama2.c file → HF dir (float32): config.json, model.safetensors, and the tokenizer file if given. */
async function llama2cToHf(options: CheckpointOutputOptions): Promise<CheckpointOutput> {
  const { source } = options;
  const temp = await makeTempDir(options.out);
  let writer: SafetensorsWriter | undefined;
  try {
    const names = source.tensorNames();
    writer = await createSafetensorsWriter(
      join(temp, 'model.safetensors'),
      names.map((name) => ({ name, dtype: 'F32' as const, shape: source.shape(name) })),
      { format: 'pt' },
    );
    for (const name of names) if (!isTargetTensor(options.targets, name)) await writer.write(name, (await source.readF32(name)).data);
    await writeFile(join(temp, 'config.json'), JSON.stringify(hfConfigJson(source.config), null, 2) + '\n');
    if (options.tokenizerPath) {
      const ext = basename(options.tokenizerPath).split('.').pop();
      const name = ext === 'model' ? 'tokenizer.model' : ext === 'json' ? 'tokenizer.json' : 'tokenizer.bin';
      await copyFile(options.tokenizerPath, join(temp, name));
    }
  } catch (err) {
    await writer?.abort();
    await rm(temp, { recursive: true, force: true });
    throw writeFailure(options.out, temp, err);
  }
  const w = writer!;
  return {
    path: options.out,
    format: 'hf',
    writeLinear: (layer, linear, data) => w.write(linearTensorName(layer, linear), data),
    async commit() {
      await w.commit();
      await publish(temp, resolve(options.out), options.force ?? false);
    },
    async abort() {
      await w.abort();
      await rm(temp, { recursive: true, force: true });
    },
  };
}
