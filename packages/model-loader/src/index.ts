export { ModelLoadError } from './errors.js';
export type { ModelLoadErrorCode } from './errors.js';
export { ATTENTION_LINEARS, MLP_LINEARS, DECODER_LINEARS, linearTensorName } from './types.js';
export type {
  Architecture,
  DType,
  RopeScaling,
  ModelConfig,
  LinearName,
  HostTensor,
  WeightSource,
  EncodeOptions,
  Tokenizer,
} from './types.js';
export { openLlama2c, parseLlama2cHeader, llama2cConfig, interleavedToHalvesRows } from './llama2c/checkpoint.js';
export type { Llama2cHeader } from './llama2c/checkpoint.js';
export { CausalLM } from './model/causal-lm.js';
export type { CausalLMOptions, ForwardProgress } from './model/causal-lm.js';
export { DecoderLayer } from './model/decoder-layer.js';
export type { LinearInputCapture, LayerForwardOptions } from './model/decoder-layer.js';
export { ropeInverseFrequencies, ropeTables } from './model/rope.js';
export { llama2cLayout, halvesToInterleavedRows } from './llama2c/checkpoint.js';
export type { Llama2cTensorSpan } from './llama2c/checkpoint.js';
export { overlayWeights } from './model/overlay-source.js';
