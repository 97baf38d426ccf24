import { describe, expect, it } from 'vitest';
import { ModelLoadError, type ModelLoadErrorReason } from '../errors.js';
import type { ModelConfig } from '../types.js';
import { hfConfigJson, parseHfConfig } from './hf-config.js';

// Published config.json files (trimmed of keys the loader ignores, e.g. initializer_range).
const LLAMA_3_2_1B = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: 128001,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 128256,
};
const MISTRAL_7B_V01 = {
  architectures: ['MistralForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  model_type: 'mistral',
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 32000,
};
const QWEN2_0_5B = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 131072,
  max_window_layers: 24,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 131072,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_sliding_window: false,
  vocab_size: 151936,
};
const GEMMA_2B = {
  architectures: ['GemmaForCausalLM'],
  attention_bias: false,
  bos_token_id: 2,
  eos_token_id: 1,
  head_dim: 256,
  hidden_act: 'gelu',
  hidden_size: 2048,
  intermediate_size: 16384,
  max_position_embeddings: 8192,
  model_type: 'gemma',
  num_attention_heads: 8,
  num_hidden_layers: 18,
  num_key_value_heads: 1,
  pad_token_id: 0,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 10000.0,
  torch_dtype: 'bfloat16',
  vocab_size: 256000,
};

const plain = { attentionBias: false, rmsNormAddOne: false, embeddingScale: 1, hiddenAct: 'silu' } as const;

describe('parseHfConfig', () => {
  it('Llama 3.2 1B: llama3 rope scaling, GQA, tied embeddings', () => {
    expect(parseHfConfig(LLAMA_3_2_1B, 'config.json')).toEqual({
      architecture: 'LlamaForCausalLM',
      hiddenSize: 2048,
      intermediateSize: 8192,
      numLayers: 16,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 64,
      vocabSize: 128256,
      rmsNormEps: 1e-5,
      ropeTheta: 500000,
      maxPositionEmbeddings: 131072,
      ropeScaling: { ropeType: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
      tieWordEmbeddings: true,
      bosTokenId: 128000,
      eosTokenId: 128001,
      torchDtype: 'bfloat16',
      ...plain,
    } satisfies ModelConfig);
  });

  it('accepts the legacy "type" key for rope scaling and lists of EOS ids', () => {
    const c = parseHfConfig(
      { ...LLAMA_3_2_1B, rope_scaling: { ...LLAMA_3_2_1B.rope_scaling, rope_type: undefined, type: 'llama3' }, eos_token_id: [128001, 128008] },
      'c',
    );
    expect(c.ropeScaling?.ropeType).toBe('llama3');
    expect(c.eosTokenId).toBe(128001);
    expect(parseHfConfig({ ...LLAMA_3_2_1B, rope_scaling: { type: 'linear', factor: 2 } }, 'c').ropeScaling).toEqual({ ropeType: 'linear', factor: 2 });
    expect(parseHfConfig({ ...LLAMA_3_2_1B, rope_scaling: { rope_type: 'default' } }, 'c').ropeScaling).toBeUndefined();
  });

  it('Mistral 7B v0.1: sliding window', () => {
    expect(parseHfConfig(MISTRAL_7B_V01, 'config.json')).toEqual({
      architecture: 'MistralForCausalLM',
      hiddenSize: 4096,
      intermediateSize: 14336,
      numLayers: 32,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
      vocabSize: 32000,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      maxPositionEmbeddings: 32768,
      slidingWindow: 4096,
      tieWordEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
      torchDtype: 'bfloat16',
      ...plain,
    } satisfies ModelConfig);
    expect(parseHfConfig({ ...MISTRAL_7B_V01, sliding_window: null }, 'c').slidingWindow).toBeUndefined();
  });

  it('Qwen2 0.5B: attention biases, sliding window off', () => {
    expect(parseHfConfig(QWEN2_0_5B, 'config.json')).toEqual({
      architecture: 'Qwen2ForCausalLM',
      hiddenSize: 896,
      intermediateSize: 4864,
      numLayers: 24,
      numHeads: 14,
      numKvHeads: 2,
      headDim: 64,
      vocabSize: 151936,
      rmsNormEps: 1e-6,
      ropeTheta: 1000000,
      maxPositionEmbeddings: 131072,
      tieWordEmbeddings: true,
      bosTokenId: 151643,
      eosTokenId: 151643,
      torchDtype: 'bfloat16',
      ...plain,
      attentionBias: true,
    } satisfies ModelConfig);
    // use_sliding_window on every layer (max_window_layers 0) is modelled; on some layers only it is refused.
    expect(parseHfConfig({ ...QWEN2_0_5B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 0 }, 'c').slidingWindow).toBe(4096);
    expect(parseHfConfig({ ...QWEN2_0_5B, use_sliding_window: true, max_window_layers: 24 }, 'c').slidingWindow).toBeUndefined();
    expect(() => parseHfConfig({ ...QWEN2_0_5B, use_sliding_window: true, max_window_layers: 12 }, 'c')).toThrow(/max_window_layers 12 < num_hidden_layers 24/);
  });

  it('Gemma 2B: GeGLU (tanh), (1 + w) norms, sqrt(hidden) embedding scale, head_dim from config, tied', () => {
    expect(parseHfConfig(GEMMA_2B, 'config.json')).toEqual({
      architecture: 'GemmaForCausalLM',
      hiddenSize: 2048,
      intermediateSize: 16384,
      numLayers: 18,
      numHeads: 8,
      numKvHeads: 1,
      headDim: 256,
      vocabSize: 256000,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      maxPositionEmbeddings: 8192,
      tieWordEmbeddings: true,
      bosTokenId: 2,
      eosTokenId: 1,
      torchDtype: 'bfloat16',
      hiddenAct: 'gelu_tanh',
      attentionBias: false,
      rmsNormAddOne: true,
      embeddingScale: Math.sqrt(2048),
    } satisfies ModelConfig);
    expect(parseHfConfig({ ...GEMMA_2B, hidden_activation: 'gelu_pytorch_tanh' }, 'c').hiddenAct).toBe('gelu_tanh');
  });

  it('infers the architecture from model_type and applies transformers defaults', () => {
    const c = parseHfConfig(
      { model_type: 'llama', hidden_size: 64, intermediate_size: 172, num_hidden_layers: 5, num_attention_heads: 8, vocab_size: 512 },
      'c',
    );
    expect(c).toMatchObject({
      architecture: 'LlamaForCausalLM',
      numKvHeads: 8,
      headDim: 8,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      maxPositionEmbeddings: 2048,
      tieWordEmbeddings: false,
    });
  });

  const bad: [string, unknown, ModelLoadErrorReason, RegExp][] = [
    ['a non-object', [1], 'BAD_CONFIG', /config must be a JSON object/],
    ['missing hidden_size', { ...MISTRAL_7B_V01, hidden_size: undefined }, 'BAD_CONFIG', /hidden_size: missing/],
    ['missing vocab_size', { ...MISTRAL_7B_V01, vocab_size: undefined }, 'BAD_CONFIG', /vocab_size: missing/],
    ['zero layers', { ...MISTRAL_7B_V01, num_hidden_layers: 0 }, 'BAD_CONFIG', /num_hidden_layers: expected a positive integer, got 0/],
    ['a fractional size', { ...MISTRAL_7B_V01, intermediate_size: 10.5 }, 'BAD_CONFIG', /intermediate_size: expected a positive integer, got 10.5/],
    ['a string size', { ...MISTRAL_7B_V01, num_attention_heads: '32' }, 'BAD_CONFIG', /num_attention_heads: expected a positive integer, got "32"/],
    [
      'hidden not divisible by heads',
      { ...MISTRAL_7B_V01, num_attention_heads: 30, num_key_value_heads: 10 },
      'BAD_CONFIG',
      /hidden_size 4096 is not divisible by num_attention_heads 30 \(and no head_dim is given\)/,
    ],
    ['kv heads not dividing heads', { ...MISTRAL_7B_V01, num_key_value_heads: 5 }, 'BAD_CONFIG', /num_key_value_heads 5 must divide num_attention_heads 32/],
    ['an odd head_dim', { ...LLAMA_3_2_1B, head_dim: 63 }, 'BAD_CONFIG', /head_dim 63 is odd/],
    ['a negative rms_norm_eps', { ...MISTRAL_7B_V01, rms_norm_eps: -1 }, 'BAD_CONFIG', /rms_norm_eps: expected a positive number, got -1/],
    [
      'llama3 scaling without low_freq_factor',
      { ...LLAMA_3_2_1B, rope_scaling: { rope_type: 'llama3', factor: 8, high_freq_factor: 4, original_max_position_embeddings: 8192 } },
      'BAD_CONFIG',
      /rope_scaling\.low_freq_factor: expected a positive number, got nothing/,
    ],
    [
      'llama3 scaling with low >= high',
      { ...LLAMA_3_2_1B, rope_scaling: { ...LLAMA_3_2_1B.rope_scaling, low_freq_factor: 4 } },
      'BAD_CONFIG',
      /low_freq_factor 4 must be below high_freq_factor 4/,
    ],
    [
      'yarn rope scaling',
      { ...LLAMA_3_2_1B, rope_scaling: { rope_type: 'yarn', factor: 4 } },
      'UNSUPPORTED',
      /rope_scaling\.rope_type "yarn" is not supported/,
    ],
    [
      'an unsupported architecture',
      { ...MISTRAL_7B_V01, architectures: ['MixtralForCausalLM'] },
      'UNSUPPORTED',
      /architecture "MixtralForCausalLM" is not supported \(supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GemmaForCausalLM\)/,
    ],
    ['an unsupported model_type', { model_type: 'gpt2' }, 'UNSUPPORTED', /model_type "gpt2" is not supported \(supported: LlamaForCausalLM/],
    ['no architecture at all', { hidden_size: 8 }, 'BAD_CONFIG', /architectures: missing/],
    ['an empty architectures list', { ...MISTRAL_7B_V01, architectures: [] }, 'BAD_CONFIG', /architectures: expected a non-empty list/],
    ['a non-silu Llama activation', { ...LLAMA_3_2_1B, hidden_act: 'gelu' }, 'UNSUPPORTED', /hidden_act "gelu" is not supported for LlamaForCausalLM/],
    ['exact GELU on Gemma', { ...GEMMA_2B, hidden_activation: 'gelu' }, 'UNSUPPORTED', /hidden_activation "gelu" is not supported for GemmaForCausalLM/],
    ['Llama attention_bias', { ...LLAMA_3_2_1B, attention_bias: true }, 'UNSUPPORTED', /attention_bias: true/],
    ['a non-boolean tie flag', { ...LLAMA_3_2_1B, tie_word_embeddings: 'yes' }, 'BAD_CONFIG', /tie_word_embeddings: expected true or false, got "yes"/],
  ];
  it.each(bad)('rejects %s', (_label, json, code, message) => {
    const err = (() => {
      try {
        parseHfConfig(json, '/models/x/config.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe(code);
    expect((err as ModelLoadError).message).toMatch(/^\/models\/x\/config\.json: /);
    expect((err as ModelLoadError).message).toMatch(message);
  });
});

describe('hfConfigJson', () => {
  it.each([
    ['Llama', LLAMA_3_2_1B],
    ['Mistral', MISTRAL_7B_V01],
    ['Qwen2', QWEN2_0_5B],
    ['Qwen2 with a window', { ...QWEN2_0_5B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 0 }],
    ['Gemma', GEMMA_2B],
  ])('%s: parse(json(config)) returns the config, through JSON text', (_label, json) => {
    const config = parseHfConfig(json, 'c');
    const written = JSON.parse(JSON.stringify(hfConfigJson(config)));
    expect(parseHfConfig(written, 'c')).toEqual(config);
  });

  it('writes transformers key names, sorted', () => {
    const out = hfConfigJson(parseHfConfig(MISTRAL_7B_V01, 'c'));
    expect(Object.keys(out)).toEqual([...Object.keys(out)].sort());
    expect(out).toMatchObject({
      architectures: ['MistralForCausalLM'],
      model_type: 'mistral',
      sliding_window: 4096,
      num_key_value_heads: 8,
      head_dim: 128,
      torch_dtype: 'bfloat16',
    });
    expect(hfConfigJson(parseHfConfig(GEMMA_2B, 'c'))).toMatchObject({ hidden_activation: 'gelu_pytorch_tanh', head_dim: 256 });
  });

  it('refuses a config its architecture cannot express', () => {
    const llama = parseHfConfig(LLAMA_3_2_1B, 'c');
    expect(() => hfConfigJson({ ...llama, slidingWindow: 16 })).toThrow(/config\.slidingWindow: LlamaForCausalLM has no sliding window/);
    expect(() => hfConfigJson({ ...llama, attentionBias: true })).toThrow(/config\.attentionBias: LlamaForCausalLM requires false/);
    expect(() => hfConfigJson({ ...llama, numLayers: 0 })).toThrow(/config\.numLayers: expected a positive integer, got 0/);
    expect(() => hfConfigJson({ ...llama, architecture: 'GPT2' as never })).toThrow(/config\.architecture: expected one of/);
  });
});
