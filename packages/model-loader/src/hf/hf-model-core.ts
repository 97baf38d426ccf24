/**
 * A Hugging Face checkpoint (config.json plus (sharded) safetensors) as a WeightSource, whatever holds its files: the
 * config parsing, the tensor checks and the source itself, with no Node built-ins. Every tensor the forward pass needs
 * is checked for presence, float dtype and shape when the checkpoint is opened, so a wrong checkpoint fails at once
 * with the tensor's name instead of deep inside a layer. `hf-model.ts` opens a directory on disk (`openHfModel`);
 * `openHfFiles` here opens a browser's files (a picked folder, or files picked together).
 */
import { emptyFileProblem } from '../empty-file.js';
import { ModelLoadError } from '../errors.js';
import { readAllBytes, type ByteSource } from '../io/byte-source.js';
import { hasTorchDtype, isFloatDtype, TORCH_DTYPE_OF } from '../safetensors/dtype.js';
import { INDEX_FILE_NAME, openCheckpointSources, SINGLE_FILE_NAME, type CheckpointDir } from '../safetensors/checkpoint-files.js';
import type { DType, HostTensor, ModelConfig, WeightSource } from '../types.js';
import { parseHfConfig } from './hf-config.js';
import { decodeJsonText } from '../text/exact-utf8.js';

export const CONFIG_FILE_NAME = 'config.json';
export const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt'];
/** Real configs are a few KB; anything this large is not one. */
export const CONFIG_SIZE_CAP = 10_000_000;

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

/**
 * The pickle-only refusal: a folder with PyTorch pickles (`pytorch_model.bin`, …) and no safetensors. `entries` are
 * the folder's file names; `where` names the folder. Nothing is thrown when safetensors are there or no pickle is.
 */
export function refusePickleOnlyEntries(where: string, entries: readonly string[]): void {
  const hasSafetensors = entries.includes(SINGLE_FILE_NAME) || entries.includes(INDEX_FILE_NAME);
  if (hasSafetensors) return;
  const pickles = entries.filter((e) => PICKLE_EXTENSIONS.some((ext) => e.toLowerCase().endsWith(ext)));
  if (pickles.length === 0) return;
  throw new ModelLoadError(
    where,
    'UNSUPPORTED',
    `found ${pickles.slice(0, 3).join(', ')}${pickles.length > 3 ? ', ...' : ''} but no ${SINGLE_FILE_NAME}: pickle checkpoints are never unpickled; ` +
      'convert with `safetensors` first (python: safetensors.torch.save_file(torch.load(f, weights_only=True), "model.safetensors")); ' +
      'a llama2.c .bin is opened by passing the file itself',
  );
}

/** config.json's bytes (named `configPath` in errors: BAD_JSON, BAD_CONFIG) as a ModelConfig. */
export function parseHfConfigBytes(configPath: string, bytes: Uint8Array): ModelConfig {
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
  return parseHfConfig(json, configPath);
}

/**
 * The model over an opened checkpoint: checks every tensor `config` needs (MISSING_TENSOR, BAD_DTYPE, BAD_SHAPE naming
 * the file, `at(file name)`), fills torch_dtype from the embedding's dtype when config.json has none, and lists the
 * unused tensors. On a failure the checkpoint is closed.
 */
export async function hfModelFromCheckpoint(dir: string, config: ModelConfig, checkpoint: CheckpointDir, at: (name: string) => string): Promise<HfModel> {
  try {
    for (const [name, expected] of hfTensorShapeEntries(config)) {
      if (!checkpoint.has(name)) {
        const where = checkpoint.layout === 'single' ? at(SINGLE_FILE_NAME) : at(INDEX_FILE_NAME);
        throw new ModelLoadError(where, 'MISSING_TENSOR', `tensor ${name} (expected shape [${expected.join(', ')}] from config.json) is missing`);
      }
      const info = checkpoint.info(name);
      const file = at(info.shard);
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

/**
 * A Hugging Face checkpoint from named files (a browser's picked folder or files: file name -> ByteSource, names
 * without folders): config.json, then model.safetensors or model.safetensors.index.json with the shards it lists.
 * `dir` is what messages call the folder ('' when the files were picked alone). Errors: ModelLoadError naming the
 * file — NOT_FOUND for config.json or a listed shard that is missing, UNSUPPORTED for pickles without safetensors, and
 * every problem `openHfModel` reports for the same files on disk.
 */
export async function openHfFiles(dir: string, files: ReadonlyMap<string, ByteSource>): Promise<HfModel> {
  const at = (name: string) => (dir === '' ? name : `${dir}/${name}`);
  refusePickleOnlyEntries(dir || 'the files given', [...files.keys()]);
  const configSource = files.get(CONFIG_FILE_NAME);
  if (!configSource)
    throw new ModelLoadError(at(CONFIG_FILE_NAME), 'NOT_FOUND', 'config.json is missing: a Hugging Face checkpoint is config.json plus its safetensors');
  if (configSource.size > CONFIG_SIZE_CAP)
    throw new ModelLoadError(at(CONFIG_FILE_NAME), 'BAD_CONFIG', `is ${configSource.size} bytes, over the ${CONFIG_SIZE_CAP}-byte cap for a config.json`);
  const config = parseHfConfigBytes(at(CONFIG_FILE_NAME), await readAllBytes(configSource));
  const checkpoint = await openCheckpointSources(dir, files);
  return hfModelFromCheckpoint(dir, config, checkpoint, at);
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
