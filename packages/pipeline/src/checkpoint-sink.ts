/**
 * Where a run writes its pruned checkpoint: the interface both Node's file outputs (checkpoint-output.ts) and the
 * browser's in-memory output implement, and the llama2.c span writing they share. No Node built-ins.
 */
import { halvesToInterleavedRows, linearTensorName, llama2cLayout, parseLlama2cHeader } from '@dass/model-loader';
import type { LinearName, Llama2cTensorSpan } from '@dass/model-loader';

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
