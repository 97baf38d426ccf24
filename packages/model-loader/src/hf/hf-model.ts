/**
 * A Hugging Face checkpoint directory as a WeightSource: config.json plus (sharded) safetensors. Every tensor the
 * forward pass needs is checked for presence, float dtype and shape when the directory is opened, so a wrong
 * checkpoint fails at once with the tensor's name instead of deep inside a layer.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyFileProblem } from '../empty-file.js';
import { ModelLoadError } from '../errors.js';
import { hasTorchDtype, isFloatDtype, TORCH_DTYPE_OF } from '../safetensors/dtype.js';
import { INDEX_FILE_NAME, openCheckpointDir, SINGLE_FILE_NAME, type CheckpointDir } from '../safetensors/checkpoint-dir.js';
import type { DType, HostTensor, ModelConfig, WeightSource } from '../types.js';
import { parseHfConfig } from './hf-config.js';
import { decodeJsonText } from '../text/exact-utf8.js';
export { unusedTensorsWarning } from '../unused-tensors.js';

export const CONFIG_FILE_NAME = 'config.json';
const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt'];
/** Real configs are a few KB; anything this large is not one. */
const CONFIG_SIZE_CAP = 10_000_000;

/**
 * HF name -> shape of every tensor a model with this config needs, in checkpoint order, one at a time: a config
 * claiming 10^9 layers costs nothing until the first tensor it names is found missing.
 */
export function* hfTensorShapeEntries(config: ModelConfig): Generator<[string, number[]]> {
  const { hiddenSize: d, intermediateSize: inter, numHeads, numKvHeads, headDim: hd, vocabSize } = config;
  yield ['model.embed_tokens.weight', [vocabSize, d]];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    yield [`${p}.input_layernorm.weight`, [d]];
    yield [`${p}.self_attn.q_proj.weight`, [numHeads * hd, d]];
    yield [`${p}.self_attn.k_proj.weight`, [numKvHeads * hd, d]];
    yield [`${p}.self_attn.v_proj.weight`, [numKvHeads * hd, d]];
    yield [`${p}.self_attn.o_proj.weight`, [d, numHeads * hd]];
    if (config.attentionBias) {
      yield [`${p}.self_attn.q_proj.bias`, [numHeads * hd]];
      yield [`${p}.self_attn.k_proj.bias`, [numKvHeads * hd]];
      yield [`${p}.self_attn.v_proj.bias`, [numKvHeads * hd]];
    }
    yield [`${p}.post_attention_layernorm.weight`, [d]];
    yield [`${p}.mlp.gate_proj.weight`, [inter, d]];
    yield [`${p}.mlp.up_proj.weight`, [inter, d]];
    yield [`${p}.mlp.down_proj.weight`, [d, inter]];
  }
  yield ['model.norm.weight', [d]];
  if (!config.tieWordEmbeddings) yield ['lm_head.weight', [vocabSize, d]];
}

/**
 * RoPE buffers old transformers versions saved; they are recomputed from config.json (rope_theta), and transformers
 * skips them on load without a word (`_keys_to_ignore_on_load_unexpected`), so they are not reported as unused.
 */
const RECOMPUTED_BUFFER = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

/**
 * The tensors among `names` that a model with this config does not read (see WeightSource.unusedTensors), in the
 * given order. Call after every needed tensor was found among `names` (openHfModel does).
 */
export function unusedHfTensors(config: ModelConfig, names: readonly string[]): string[] {
  const needed = new Set<string>();
  for (const [name] of hfTensorShapeEntries(config)) needed.add(name);
  return names.filter((n) => !needed.has(n) && !RECOMPUTED_BUFFER.test(n));
}

/** HF name -> shape of every tensor a model with this config needs, in checkpoint order. */
export function hfTensorShapes(config: ModelConfig): Map<string, number[]> {
  return new Map(hfTensorShapeEntries(config));
}

export interface HfModel extends WeightSource {
  readonly format: 'hf';
  readonly unusedTensors: readonly string[];
  /** The safetensors behind it (shard layout, per-tensor shard), for writing a pruned copy the same way. */
  readonly checkpoint: CheckpointDir;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function refusePickleOnly(dir: string, entries: string[]): Promise<void> {
  const hasSafetensors = entries.includes(SINGLE_FILE_NAME) || entries.includes(INDEX_FILE_NAME);
  if (hasSafetensors) return;
  const pickles = entries.filter((e) => PICKLE_EXTENSIONS.some((ext) => e.toLowerCase().endsWith(ext)));
  if (pickles.length === 0) return;
  throw new ModelLoadError(
    dir,
    'UNSUPPORTED',
    `found ${pickles.slice(0, 3).join(', ')}${pickles.length > 3 ? ', ...' : ''} but no ${SINGLE_FILE_NAME}: pickle checkpoints are never unpickled; ` +
      'convert with `safetensors` first (python: safetensors.torch.save_file(torch.load(f, weights_only=True), "model.safetensors")); ' +
      'a llama2.c .bin is opened by passing the file itself',
  );
}

export async function openHfModel(dir: string): Promise<HfModel> {
  if (typeof dir !== 'string' || dir === '')
    throw new ModelLoadError(String(dir), 'BAD_VALUE', `dir: expected a checkpoint directory, got ${JSON.stringify(dir)}`);
  if (!(await isDirectory(dir))) throw new ModelLoadError(dir, 'NOT_FOUND', 'not a directory (a Hugging Face checkpoint is a directory with config.json)');
  await refusePickleOnly(dir, await readdir(dir));

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
  // Exact UTF-8 (no U+FFFD for bad bytes, a leading BOM refused as transformers' json.loads refuses it).
  const decoded = decodeJsonText(bytes);
  if ('problem' in decoded) throw new ModelLoadError(configPath, 'BAD_JSON', decoded.problem);
  const empty = emptyFileProblem(decoded.text, "the model's JSON config");
  if (empty !== undefined) throw new ModelLoadError(configPath, 'BAD_CONFIG', empty);
  let json: unknown;
  try {
    json = JSON.parse(decoded.text);
  } catch (e) {
    throw new ModelLoadError(configPath, 'BAD_JSON', `not valid JSON: ${(e as Error).message}`);
  }
  const config = parseHfConfig(json, configPath);

  const checkpoint = await openCheckpointDir(dir);
  try {
    for (const [name, expected] of hfTensorShapeEntries(config)) {
      if (!checkpoint.has(name)) {
        const where = checkpoint.layout === 'single' ? join(dir, SINGLE_FILE_NAME) : join(dir, INDEX_FILE_NAME);
        throw new ModelLoadError(where, 'MISSING_TENSOR', `tensor ${name} (expected shape [${expected.join(', ')}] from config.json) is missing`);
      }
      const info = checkpoint.info(name);
      const file = join(dir, info.shard);
      if (!isFloatDtype(info.dtype)) throw new ModelLoadError(file, 'BAD_DTYPE', `tensor ${name} is ${info.dtype}; weights must be F32, F16, BF16 or F64`);
      if (info.shape.length !== expected.length || info.shape.some((s, i) => s !== expected[i])) {
        throw new ModelLoadError(file, 'BAD_SHAPE', `tensor ${name} has shape [${info.shape.join(', ')}], config.json implies [${expected.join(', ')}]`);
      }
    }
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
  if (config.torchDtype === undefined) {
    const stored = checkpoint.info('model.embed_tokens.weight').dtype;
    if (hasTorchDtype(stored)) config.torchDtype = TORCH_DTYPE_OF[stored];
  }
  // Tensors in a shard that the index does not list are never loaded (transformers reads through the index): unused too.
  const unused = [...unusedHfTensors(config, checkpoint.names()), ...checkpoint.unindexed.map((t) => t.name)];
  return new HfWeightSource(dir, config, checkpoint, unused);
}

class HfWeightSource implements HfModel {
  readonly format = 'hf' as const;

  constructor(
    readonly path: string,
    readonly config: ModelConfig,
    readonly checkpoint: CheckpointDir,
    readonly unusedTensors: readonly string[],
  ) {}

  tensorNames(): string[] {
    return this.checkpoint.names();
  }

  has(name: string): boolean {
    return this.checkpoint.has(name);
  }

  shape(name: string): number[] {
    return this.checkpoint.info(name).shape;
  }

  dtype(name: string): DType {
    return this.checkpoint.info(name).dtype;
  }

  readF32(name: string): Promise<HostTensor> {
    return this.checkpoint.readF32(name);
  }

  readF32Shared(name: string): Promise<HostTensor> {
    return this.checkpoint.readF32Shared(name);
  }

  readF32Rows(name: string, rows: ArrayLike<number>): Promise<Float32Array> {
    return this.checkpoint.readF32Rows(name, rows);
  }

  close(): Promise<void> {
    return this.checkpoint.close();
  }
}
