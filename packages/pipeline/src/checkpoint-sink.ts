/**
 * Where a run writes its pruned checkpoint: the interface both Node's file outputs (checkpoint-output.ts) and the
 * browser's in-memory output implement, and the llama2.c span writing they share. No Node built-ins.
 */
import { createMemorySafetensorsWriter, halvesToInterleavedRows, linearTensorName, llama2cLayout, parseLlama2cHeader } from '@dass/model-loader';
import type { CheckpointDir, LinearName, Llama2cTensorSpan, MemorySafetensorsWriter, SafetensorsEntry } from '@dass/model-loader';

export type OutputFormat = 'same' | 'hf' | 'llama2c';

/** A checkpoint being written beside its final place; nothing appears at `path` until `commit`. */
export interface CheckpointOutput {
  readonly path: string;
  readonly format: 'hf' | 'llama2c';
  writeLinear(layer: number, linear: LinearName, data: Float32Array): Promise<void>;
  commit(): Promise<void>;
  /** Removes everything written so far; the input and any existing `path` are untouched. */
  abort(): Promise<void>;
}

/**
 * The bytes a pruned linear occupies in a llama2.c file and where: q/k rows go back from HF's rotate-half layout to
 * llama2.c's interleaved pairs (float32, little-endian, as the file stores them). `file` names the input in errors.
 */
export function llama2cLinearBytes(
  spans: ReadonlyMap<string, Llama2cTensorSpan>,
  file: string,
  layer: number,
  linear: LinearName,
  data: Float32Array,
): { offset: number; bytes: Uint8Array } {
  const name = linearTensorName(layer, linear);
  const span = spans.get(name);
  if (!span) throw new Error(`${name} is not in ${file}`);
  const stored = span.ropeHeads ? halvesToInterleavedRows(data, span.shape[0]!, span.shape[1]!, span.ropeHeads) : data;
  return { offset: span.offset, bytes: new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength) };
}

/** In-memory output of a pruned llama2.c checkpoint: the input's bytes, with pruned tensors written over their spans. */
export interface MemoryCheckpointOutput extends CheckpointOutput {
  /** The finished file (valid after `commit`). */
  bytes(): Uint8Array;
}

/**
 * A llama2.c → llama2.c output held in memory (browsers: the download). `input` is the whole input file; it is
 * copied, never changed. `name` is what the output is called (the download's file name).
 */
export function memoryLlama2cOutput(input: Uint8Array, inputName: string, name: string): MemoryCheckpointOutput {
  const { spans } = llama2cLayout(parseLlama2cHeader(input.subarray(0, 28), inputName));
  let out: Uint8Array | undefined = input.slice();
  let committed = false;
  return {
    path: name,
    format: 'llama2c',
    async writeLinear(layer, linear, data) {
      if (!out) throw new Error(`${name}: output was aborted`);
      const { offset, bytes } = llama2cLinearBytes(spans, inputName, layer, linear, data);
      out.set(bytes, offset);
    },
    async commit() {
      committed = true;
    },
    async abort() {
      out = undefined;
    },
    bytes() {
      if (!committed || !out) throw new Error(`${name}: the output is not committed`);
      return out;
    },
  };
}

/** Whether HF tensor `name` is a decoder linear among `targets` (written later by `writeLinear`, not copied). */
export function isTargetTensor(targets: readonly LinearName[], name: string): boolean {
  const m = /^model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.weight$/.exec(name);
  return !!m && targets.includes(m[2] as LinearName);
}

/** One output shard of an HF → HF copy: the input shard's name, tensors (header order, dtypes, shapes) and metadata. */
export interface HfOutputShard {
  shard: string;
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

/**
 * The layout of a pruned HF checkpoint written from `checkpoint`: the same shards, each with the same tensors in the
 * same header order, dtypes, shapes and `__metadata__` (so a writer following it gives the bytes of the input with
 * only the pruned tensors' data changed), and which shard each indexed tensor goes to. Both the Node output
 * (checkpoint-output.ts) and the in-memory one (`memoryHfOutput`) follow it.
 */
export function hfOutputLayout(checkpoint: CheckpointDir): { shards: HfOutputShard[]; shardOf: Map<string, string> } {
  const shardOf = new Map<string, string>();
  const shards = checkpoint.shards().map((shard) => {
    const file = checkpoint.shard(shard);
    const entries = file.names().map((name) => ({ name, dtype: file.info(name).dtype, shape: file.info(name).shape }));
    for (const e of entries) if (checkpoint.has(e.name) && checkpoint.info(e.name).shard === shard) shardOf.set(e.name, shard);
    return { shard, entries, metadata: { ...file.metadata } };
  });
  return { shards, shardOf };
}

/**
 * Copies every tensor the run does not write (`targets`' linears are written by `writeLinear` later) from
 * `checkpoint` into the writers of its shards, as stored: indexed tensors in index order, then the ones a shard holds
 * but the index does not list (never read by the model, kept as they are).
 */
export async function copyUnprunedTensors(
  checkpoint: CheckpointDir,
  shardOf: ReadonlyMap<string, string>,
  writers: ReadonlyMap<string, { write(name: string, data: Uint8Array): Promise<void> }>,
  targets: readonly LinearName[],
): Promise<void> {
  for (const name of checkpoint.names()) {
    if (!isTargetTensor(targets, name)) await writers.get(shardOf.get(name)!)!.write(name, await checkpoint.readRaw(name));
  }
  for (const { name, shard } of checkpoint.unindexed) await writers.get(shard)!.write(name, await checkpoint.shard(shard).readRaw(name));
}

/** In-memory output of a pruned HF checkpoint (browsers: the downloads): its safetensors shards, by file name. */
export interface MemoryHfOutput extends CheckpointOutput {
  /** The finished shards in the input's order (valid after `commit`): the same bytes `dass prune` writes for them. */
  shards(): { name: string; bytes: Uint8Array }[];
}

/**
 * An HF → HF output held in memory: the input's shard layout (hfOutputLayout), unpruned tensors copied at once, the
 * pruned linears written by `writeLinear` in their stored dtype. The other files of the folder (config.json, the
 * index, tokenizer files) are the caller's to copy through, unchanged, as the Node output does. `name` is what the
 * output is called in messages. Holds the whole output in memory (the sum of the shards' sizes).
 */
export async function memoryHfOutput(checkpoint: CheckpointDir, targets: readonly LinearName[], name: string): Promise<MemoryHfOutput> {
  const { shards, shardOf } = hfOutputLayout(checkpoint);
  const writers = new Map<string, MemorySafetensorsWriter>(shards.map((s) => [s.shard, createMemorySafetensorsWriter(s.shard, s.entries, s.metadata)]));
  await copyUnprunedTensors(checkpoint, shardOf, writers, targets);
  let committed = false;
  return {
    path: name,
    format: 'hf',
    async writeLinear(layer, linear, data) {
      const tensor = linearTensorName(layer, linear);
      const shard = shardOf.get(tensor);
      if (!shard) throw new Error(`${tensor} is not in ${checkpoint.dir || 'the checkpoint'}`);
      await writers.get(shard)!.write(tensor, data);
    },
    async commit() {
      for (const w of writers.values()) await w.commit();
      committed = true;
    },
    async abort() {
      for (const w of writers.values()) await w.abort();
    },
    shards() {
      if (!committed) throw new Error(`${name}: the output is not committed`);
      return [...writers].map(([shard, w]) => ({ name: shard, bytes: w.bytes() }));
    },
  };
}
