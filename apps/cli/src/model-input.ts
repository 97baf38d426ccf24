/** Opening the model (and its tokenizer) a command was pointed at, with the CLI's error messages. */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  assertOutputApartFromInputs,
  assertReplaceableOutput,
  CausalLM,
  defaultThreads,
  loadTokenizer,
  openModel,
  unusedTensorsWarning,
} from '@dass/model-loader';
import type { NamedPath, ReplaceableKind, Tokenizer, WeightSource } from '@dass/model-loader';
import { selectBackend } from '@dass/tensor-backend';
import type { BackendRequest } from '@dass/tensor-backend';
import { UsageError } from './cli-errors.js';

export interface OpenedModel {
  source: WeightSource;
  tokenizer: Tokenizer;
}

/**
 * Opens `modelPath` and its tokenizer: `tokenizerPath` when given, else the HF directory's own tokenizer files.
 * A llama2.c `.bin` carries no tokenizer, so it needs `--tokenizer`.
 */
export async function openModelWithTokenizer(modelPath: string, tokenizerPath: string | undefined): Promise<OpenedModel> {
  const source = await openModel(modelPath);
  try {
    if (tokenizerPath === undefined && source.format !== 'hf') {
      throw new UsageError(`--tokenizer: ${modelPath} is a llama2.c checkpoint, which has no tokenizer inside; pass its tokenizer file (e.g. tok512.bin)`);
    }
    const tokenizer = await loadTokenizer(tokenizerPath ?? modelPath, { vocabSize: source.config.vocabSize });
    return { source, tokenizer };
  } catch (err) {
    await source.close();
    throw err;
  }
}

/**
 * Tensors of the checkpoint the configured architecture does not read (issue 12): one warning line on stderr, and
 * the names for the command's --json output.
 */
export function warnUnusedTensors(ctx: { warn(message: string): void }, source: WeightSource): string[] {
  const line = unusedTensorsWarning(source);
  if (line !== undefined) ctx.warn(line);
  return [...(source.unusedTensors ?? [])];
}

/** Activates the requested tfjs backend, then builds the layer-at-a-time model over `source`. */
/**
 * The model on the chosen backend, its decoder layers run by `threads` worker threads (default: every core on
 * wasm/cpu unless one pass of `tokensPerPass` tokens is too small to pay for them, 1 on the native backends;
 * 1 = this thread).
 */
export async function causalLM(source: WeightSource, backend: BackendRequest, threads?: number, tokensPerPass = 8192): Promise<CausalLM> {
  const choice = await selectBackend(backend);
  return CausalLM.fromSource(source, { threads: threads ?? defaultThreads(choice.name, { config: source.config, tokens: tokensPerPass }) });
}

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

export interface OutputPathRules {
  /** The run's inputs (and its other outputs, `role: 'output'`) by flag: the output may not be, hold or lie inside any. */
  inputs?: readonly NamedPath[];
  /** What an existing output must be for `force` to replace it (see ReplaceableKind); undefined: not checked here. */
  kind?: ReplaceableKind;
}

/**
 * Checks an output path before any work: it is not, does not hold and does not lie inside any input (real paths);
 * it must not exist unless `force`, and `force` replaces only a previous output of the expected kind; its folder
 * must exist. (The writers check again; this makes the refusal immediate and names the flags.)
 */
export async function checkOutputPath(flag: string, out: string, force: boolean, rules: OutputPathRules = {}): Promise<void> {
  await assertOutputApartFromInputs({ name: flag, path: out }, rules.inputs ?? []);
  if (!force && (await kind(out)) !== undefined) throw new UsageError(`${flag} ${out} already exists; pass --force to replace it`);
  if (force && rules.kind !== undefined) await assertReplaceableOutput({ name: flag, path: out }, rules.kind);
  const parent = dirname(out);
  const parentKind = await kind(parent);
  if (parentKind === undefined) throw new UsageError(`${flag} ${out}: its folder ${parent} does not exist`);
  if (parentKind !== 'dir') throw new UsageError(`${flag} ${out}: ${parent} is not a folder`);
}

/** The kind of checkpoint `prune` writes for `model` and `--out-format` (undefined when the model cannot be examined). */
export async function checkpointOutputKind(model: string, outFormat: 'same' | 'hf' | 'llama2c'): Promise<ReplaceableKind | undefined> {
  if (outFormat === 'hf') return 'checkpoint-dir';
  if (outFormat === 'llama2c') return 'llama2c-file';
  const k = await kind(model);
  return k === undefined ? undefined : k === 'dir' ? 'checkpoint-dir' : 'llama2c-file';
}
