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
