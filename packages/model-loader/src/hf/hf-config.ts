/**
 * Hugging Face `config.json` <-> ModelConfig for the supported GLU decoders. Defaults are the ones the
 * transformers config classes use when a key is absent; the sizes that define the tensors are required.
 */
import { ModelLoadError } from '../errors.js';
import type { Architecture, ModelConfig, RopeScaling } from '../types.js';

/**
 * What differs between the supported architectures, in one place (as transformers.js keys its model classes by
 * `model_type`): the transformers config class's defaults for optional keys, and the feature flags that decide both
 * how a config.json is read (`parseHfConfig`) and how one is written (`hfConfigJson`). Sources: transformers'
 * `configuration_{llama,mistral,qwen2,gemma}.py` and `modeling_*.py`.
 */
interface ArchitectureSpec {
  modelType: string;
  /** transformers' class defaults for the optional keys. */
  defaults: {
    maxPositionEmbeddings: number;
    tieWordEmbeddings: boolean;
    /** Gemma's head size is its own key (default 256), not hidden_size / num_attention_heads. */
    headDim?: number;
  };
  /** The MLP activation: the config key transformers reads, the names accepted there, and what is written. */
  activation: { key: 'hidden_act' | 'hidden_activation'; accepts: readonly string[]; value: ModelConfig['hiddenAct']; written: string };
  /** Biases on q/k/v_proj (Qwen2 always has them). */
  qkvBias: boolean;
  /** The config has an `attention_bias` key (Llama, Gemma); only false is supported, and false is written. */
  attentionBiasKey: boolean;
  /** The config has an `mlp_bias` key that is written (Llama); true is refused on every architecture. */
  mlpBiasKey: boolean;
  /** Sliding-window attention: none; `sliding_window` on every layer (Mistral); `use_sliding_window` + `max_window_layers` (Qwen2). */
  slidingWindow: 'none' | 'all-layers' | 'qwen2';
  /** RMSNorm multiplies by (1 + weight) (Gemma). */
  rmsNormAddOne: boolean;
  /** Embeddings are scaled by sqrt(hidden_size) (Gemma). */
  embeddingScaleSqrtHidden: boolean;
}

const SILU = { key: 'hidden_act', accepts: ['silu'], value: 'silu', written: 'silu' } as const;
const PLAIN = { qkvBias: false, rmsNormAddOne: false, embeddingScaleSqrtHidden: false } as const;

const ARCHITECTURES: Readonly<Record<Architecture, ArchitectureSpec>> = {
  LlamaForCausalLM: {
    ...PLAIN,
    modelType: 'llama',
    defaults: { maxPositionEmbeddings: 2048, tieWordEmbeddings: false },
    activation: SILU,
    attentionBiasKey: true,
    mlpBiasKey: true,
    slidingWindow: 'none',
  },
  MistralForCausalLM: {
    ...PLAIN,
    modelType: 'mistral',
    defaults: { maxPositionEmbeddings: 4096 * 32, tieWordEmbeddings: false },
    activation: SILU,
    attentionBiasKey: false,
    mlpBiasKey: false,
    slidingWindow: 'all-layers',
  },
  Qwen2ForCausalLM: {
    ...PLAIN,
    modelType: 'qwen2',
    defaults: { maxPositionEmbeddings: 32768, tieWordEmbeddings: false },
    activation: SILU,
    qkvBias: true,
    attentionBiasKey: false,
    mlpBiasKey: false,
    slidingWindow: 'qwen2',
  },
  GemmaForCausalLM: {
    modelType: 'gemma',
    defaults: { maxPositionEmbeddings: 8192, tieWordEmbeddings: true, headDim: 256 },
    // transformers' Gemma reads hidden_activation and falls back to tanh-GELU whatever hidden_act says.
    activation: { key: 'hidden_activation', accepts: ['gelu_pytorch_tanh', 'gelu_tanh'], value: 'gelu_tanh', written: 'gelu_pytorch_tanh' },
    qkvBias: false,
    attentionBiasKey: true,
    mlpBiasKey: false,
    slidingWindow: 'none',
    rmsNormAddOne: true,
    embeddingScaleSqrtHidden: true,
  },
};

export const SUPPORTED_ARCHITECTURES = Object.keys(ARCHITECTURES) as readonly Architecture[];

const MODEL_TYPES: Readonly<Record<string, Architecture>> = Object.fromEntries(SUPPORTED_ARCHITECTURES.map((arch) => [ARCHITECTURES[arch].modelType, arch]));

const QWEN2_DEFAULT_MAX_WINDOW_LAYERS = 28;
const QWEN2_DEFAULT_SLIDING_WINDOW = 4096;

const TORCH_DTYPES = ['float32', 'float16', 'bfloat16'] as const;

type Json = Record<string, unknown>;

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

export function parseHfConfig(json: unknown, file: string): ModelConfig {
  const fail = (problem: string): never => {
    throw new ModelLoadError(file, 'BAD_CONFIG', problem);
  };
  const unsupported = (problem: string): never => {
    throw new ModelLoadError(file, 'UNSUPPORTED', problem);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail(`config must be a JSON object, got ${show(json)}`);
  const c = json as Json;

  // --- architecture
  let architecture: Architecture;
  const supportedList = SUPPORTED_ARCHITECTURES.join(', ');
  if (c.architectures !== undefined && c.architectures !== null) {
    const list = c.architectures;
    if (!Array.isArray(list) || list.length === 0 || typeof list[0] !== 'string') {
      return fail(`architectures: expected a non-empty list of class names, got ${show(list)}`);
    }
    const name = list[0];
    if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(name)) {
      return unsupported(`architecture ${JSON.stringify(name)} is not supported (supported: ${supportedList})`);
    }
    architecture = name as Architecture;
  } else if (typeof c.model_type === 'string') {
    const arch = Object.hasOwn(MODEL_TYPES, c.model_type) ? MODEL_TYPES[c.model_type] : undefined;
    if (!arch) return unsupported(`model_type ${JSON.stringify(c.model_type)} is not supported (supported: ${supportedList})`);
    architecture = arch;
  } else {
    return fail('architectures: missing (and no model_type to infer it from)');
  }
  const spec = ARCHITECTURES[architecture];

  // --- sizes
  const positiveInt = (key: string, fallback?: number): number => {
    const v = c[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      return fail(`${key}: missing (a positive integer is required)`);
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) return fail(`${key}: expected a positive integer, got ${show(v)}`);
    return v;
  };
  const positiveNumber = (key: string, fallback: number): number => {
    const v = c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return fail(`${key}: expected a positive number, got ${show(v)}`);
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') return fail(`${key}: expected true or false, got ${show(v)}`);
    return v;
  };

  const hiddenSize = positiveInt('hidden_size');
  const intermediateSize = positiveInt('intermediate_size');
  const numLayers = positiveInt('num_hidden_layers');
  const numHeads = positiveInt('num_attention_heads');
  const vocabSize = positiveInt('vocab_size');
  const numKvHeads = positiveInt('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    fail(`num_key_value_heads ${numKvHeads} must divide num_attention_heads ${numHeads}`);
  }
  let headDim: number;
  if (c.head_dim !== undefined && c.head_dim !== null) headDim = positiveInt('head_dim');
  else if (spec.defaults.headDim !== undefined) headDim = spec.defaults.headDim;
  else {
    if (hiddenSize % numHeads !== 0) fail(`hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads} (and no head_dim is given)`);
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) fail(`head_dim ${headDim} is odd; rotary embeddings need an even head size`);

  const rmsNormEps = positiveNumber('rms_norm_eps', 1e-6);
  const ropeTheta = positiveNumber('rope_theta', 10000);
  const maxPositionEmbeddings = positiveInt('max_position_embeddings', spec.defaults.maxPositionEmbeddings);
  const tieWordEmbeddings = bool('tie_word_embeddings', spec.defaults.tieWordEmbeddings);

  // --- activation
  const act = c[spec.activation.key];
  if (act !== undefined && act !== null && !spec.activation.accepts.includes(act as string)) {
    unsupported(`${spec.activation.key} ${show(act)} is not supported for ${architecture} (only ${spec.activation.accepts[0]})`);
  }
  const hiddenAct = spec.activation.value;

  // --- biases: only Qwen2's q/k/v biases are modelled
  if (spec.attentionBiasKey && bool('attention_bias', false)) {
    unsupported(`attention_bias: true (biases on q/k/v/o_proj) is not supported for ${architecture}`);
  }
  if (bool('mlp_bias', false)) unsupported(`mlp_bias: true is not supported (GLU projections without biases only)`);

  // --- sliding window
  let slidingWindow: number | undefined;
  if (spec.slidingWindow === 'all-layers') {
    if (c.sliding_window !== undefined && c.sliding_window !== null) slidingWindow = positiveInt('sliding_window');
  } else if (spec.slidingWindow === 'qwen2') {
    if (bool('use_sliding_window', false)) {
      const window = positiveInt('sliding_window', QWEN2_DEFAULT_SLIDING_WINDOW);
      const v = c.max_window_layers;
      const maxWindowLayers = v === undefined || v === null ? QWEN2_DEFAULT_MAX_WINDOW_LAYERS : v;
      if (typeof maxWindowLayers !== 'number' || !Number.isSafeInteger(maxWindowLayers) || maxWindowLayers < 0) {
        fail(`max_window_layers: expected a non-negative integer, got ${show(v)}`);
      }
      // Layers with index >= max_window_layers use the window; only all-or-none is modelled.
      if ((maxWindowLayers as number) === 0) slidingWindow = window;
      else if ((maxWindowLayers as number) < numLayers) {
        unsupported(
          `use_sliding_window with max_window_layers ${maxWindowLayers} < num_hidden_layers ${numLayers} (a window on some layers only) is not supported`,
        );
      }
    }
  }

  // --- rope scaling
  const ropeScaling = parseRopeScaling(c.rope_scaling, fail, unsupported);

  const tokenId = (key: string): number | undefined => {
    let v = c[key];
    if (Array.isArray(v)) v = v[0]; // Llama 3 lists several EOS ids; the first is the canonical one
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(`${key}: expected a token id, got ${show(c[key])}`);
    return v;
  };
  const bosTokenId = tokenId('bos_token_id');
  const eosTokenId = tokenId('eos_token_id');
  const dtype = c.torch_dtype ?? c.dtype; // newer transformers write "dtype"
  const torchDtype = (TORCH_DTYPES as readonly unknown[]).includes(dtype) ? (dtype as ModelConfig['torchDtype']) : undefined;

  const config: ModelConfig = {
    architecture,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize,
    rmsNormEps,
    ropeTheta,
    maxPositionEmbeddings,
    tieWordEmbeddings,
    hiddenAct,
    attentionBias: spec.qkvBias,
    rmsNormAddOne: spec.rmsNormAddOne,
    embeddingScale: spec.embeddingScaleSqrtHidden ? Math.sqrt(hiddenSize) : 1,
  };
  if (ropeScaling) config.ropeScaling = ropeScaling;
  if (slidingWindow !== undefined) config.slidingWindow = slidingWindow;
  if (bosTokenId !== undefined) config.bosTokenId = bosTokenId;
  if (eosTokenId !== undefined) config.eosTokenId = eosTokenId;
  if (torchDtype) config.torchDtype = torchDtype;
  return config;
}

function parseRopeScaling(value: unknown, fail: (p: string) => never, unsupported: (p: string) => never): RopeScaling | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return fail(`rope_scaling: expected an object or null, got ${show(value)}`);
  const r = value as Json;
  const type = r.rope_type ?? r.type;
  if (type === undefined || type === 'default') return undefined;
  const num = (key: string, check: (x: number) => boolean, what: string): number => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) return fail(`rope_scaling.${key}: expected ${what}, got ${show(v)}`);
    return v;
  };
  if (type === 'linear') return { ropeType: 'linear', factor: num('factor', (x) => x >= 1, 'a number >= 1') };
  if (type === 'llama3') {
    const factor = num('factor', (x) => x >= 1, 'a number >= 1');
    const lowFreqFactor = num('low_freq_factor', (x) => x > 0, 'a positive number');
    const highFreqFactor = num('high_freq_factor', (x) => x > 0, 'a positive number');
    const originalMaxPositionEmbeddings = num('original_max_position_embeddings', (x) => Number.isSafeInteger(x) && x > 0, 'a positive integer');
    if (lowFreqFactor >= highFreqFactor) {
      fail(`rope_scaling: low_freq_factor ${lowFreqFactor} must be below high_freq_factor ${highFreqFactor}`);
    }
    return { ropeType: 'llama3', factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings };
  }
  return unsupported(`rope_scaling.rope_type ${show(type)} is not supported (supported: default, linear, llama3)`);
}

/**
 * The config.json of a ModelConfig (keys sorted, as transformers writes them). Throws when the config has a
 * combination its architecture cannot express (e.g. a sliding window on Llama).
 */
export function hfConfigJson(config: ModelConfig): Record<string, unknown> {
  const arch = config?.architecture;
  const where = 'hfConfigJson(config)';
  const bad = (problem: string): never => {
    throw new ModelLoadError(where, 'BAD_VALUE', problem);
  };
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
    bad(`config.architecture: expected one of ${SUPPORTED_ARCHITECTURES.join(', ')}, got ${show(arch)}`);
  }
  for (const key of ['hiddenSize', 'intermediateSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'maxPositionEmbeddings'] as const) {
    const v = config[key];
    if (!Number.isSafeInteger(v) || v <= 0) bad(`config.${key}: expected a positive integer, got ${show(v)}`);
  }
  const spec = ARCHITECTURES[arch];
  const expectFlag = <K extends keyof ModelConfig>(key: K, expected: ModelConfig[K]) => {
    if (config[key] !== expected) bad(`config.${key}: ${arch} requires ${show(expected)}, got ${show(config[key])}`);
  };
  expectFlag('hiddenAct', spec.activation.value);
  expectFlag('attentionBias', spec.qkvBias);
  expectFlag('rmsNormAddOne', spec.rmsNormAddOne);
  const scale = spec.embeddingScaleSqrtHidden ? Math.sqrt(config.hiddenSize) : 1;
  if (Math.abs(config.embeddingScale - scale) > 1e-6 * scale) bad(`config.embeddingScale: ${arch} implies ${scale}, got ${show(config.embeddingScale)}`);
  if (config.slidingWindow !== undefined && spec.slidingWindow === 'none') {
    bad(`config.slidingWindow: ${arch} has no sliding window, got ${config.slidingWindow}`);
  }

  const out: Record<string, unknown> = {
    architectures: [arch],
    model_type: spec.modelType,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    vocab_size: config.vocabSize,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    hidden_act: spec.activation.written,
    rope_scaling: null,
  };
  out[spec.activation.key] = spec.activation.written;
  if (spec.attentionBiasKey) out.attention_bias = false;
  if (spec.mlpBiasKey) out.mlp_bias = false;
  if (spec.slidingWindow === 'all-layers') out.sliding_window = config.slidingWindow ?? null;
  if (spec.slidingWindow === 'qwen2') {
    out.use_sliding_window = config.slidingWindow !== undefined;
    out.sliding_window = config.slidingWindow ?? null;
    out.max_window_layers = config.slidingWindow !== undefined ? 0 : config.numLayers;
  }
  const rs = config.ropeScaling;
  if (rs && rs.ropeType === 'linear') out.rope_scaling = { rope_type: 'linear', factor: rs.factor };
  else if (rs && rs.ropeType === 'llama3') {
    for (const key of ['lowFreqFactor', 'highFreqFactor', 'originalMaxPositionEmbeddings'] as const) {
      if (typeof rs[key] !== 'number') bad(`config.ropeScaling.${key}: required for llama3 rope scaling, got ${show(rs[key])}`);
    }
    out.rope_scaling = {
      rope_type: 'llama3',
      factor: rs.factor,
      low_freq_factor: rs.lowFreqFactor,
      high_freq_factor: rs.highFreqFactor,
      original_max_position_embeddings: rs.originalMaxPositionEmbeddings,
    };
  }
  if (config.bosTokenId !== undefined) out.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== undefined) out.eos_token_id = config.eosTokenId;
  if (config.torchDtype !== undefined) out.torch_dtype = config.torchDtype;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key];
  return sorted;
}
