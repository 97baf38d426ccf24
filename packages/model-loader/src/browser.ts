/**
 * The browser-safe entry of @dass/model-loader (the `browser` export condition): everything that parses, runs and
 * tokenizes, reading inputs through `ByteSource`s (`blobSource` for a `File`, `bytesSource` for an ArrayBuffer).
 * No Node built-ins are imported from here; the Node entry (index.ts) adds paths, folders, writers and worker threads.
 */
export { ModelLoadError } from './errors.js';
export type { ModelLoadErrorReason } from './errors.js';
export { ATTENTION_LINEARS, MLP_LINEARS, DECODER_LINEARS, linearTensorName } from './types.js';
export type { Architecture, DType, RopeScaling, ModelConfig, LinearName, HostTensor, WeightSource, EncodeOptions, Tokenizer } from './types.js';
export { CausalLM } from './model/causal-lm.js';
export type { CausalLMOptions, ForwardProgress } from './model/causal-lm.js';
export { DecoderLayer } from './model/decoder-layer.js';
export type { LinearInputCapture, LayerForwardOptions, LayerRunOptions } from './model/decoder-layer.js';
export { InputStatsAccumulator } from './model/input-stats.js';
export type { InputStatsRequest, InputStatsData } from './model/input-stats.js';
export { samplesPerPass } from './model/decoder-layer.js';
export { DeviceHidden } from './model/device-hidden.js';
export { attendCausalDevice, applyRopeDevice } from './model/device-attention.js';
export { ropeInverseFrequencies, ropeTables } from './model/rope.js';
export { openLlama2cSource, parseLlama2cHeader, llama2cConfig, llama2cLayout, interleavedToHalvesRows, halvesToInterleavedRows } from './llama2c/checkpoint.js';
export type { Llama2cHeader, Llama2cTensorSpan } from './llama2c/checkpoint.js';
export { overlayWeights } from './model/overlay-source.js';
export { Llama2cTokenizer } from './tokenizer/llama2c-tokenizer.js';
export type { Llama2cTokenizerOptions } from './tokenizer/llama2c-tokenizer.js';
export { SentencePieceTokenizer } from './tokenizer/sentencepiece-tokenizer.js';
export type { SentencePieceTokenizerOptions } from './tokenizer/sentencepiece-tokenizer.js';
export { parseSentencePieceModel } from './tokenizer/sentencepiece-model.js';
export type { SentencePieceModel, SentencePieceEntry, SentencePieceType, SentencePieceModelType } from './tokenizer/sentencepiece-model.js';
export { HfJsonTokenizer } from './tokenizer/hf-json-tokenizer.js';
export type { HfJsonTokenizerOptions } from './tokenizer/hf-json-tokenizer.js';
export { checkIdsInVocab } from './tokenizer/check-ids-in-vocab.js';
export { decodeUtf8Exact, decodeJsonText, startsWithUtf8Bom } from './text/exact-utf8.js';
export { SAFETENSORS_HEADER_CAP } from './safetensors/safetensors-header.js';
export type { SafetensorsTensorInfo } from './safetensors/safetensors-header.js';
export {
  f32ToF16Bits,
  f32ToBf16Bits,
  f32BitsToF16Bits,
  f32BitsToBf16Bits,
  f16BitsToF32,
  bf16BitsToF32,
  encodeF16,
  encodeBf16,
  decodeF16,
  decodeBf16,
} from './safetensors/half-float.js';
export { DTYPE_SIZES, KNOWN_DTYPES, isFloatDtype } from './safetensors/dtype.js';
export { parseHfConfig, hfConfigJson, SUPPORTED_ARCHITECTURES } from './hf/hf-config.js';
export {
  openHfFiles,
  hfModelFromCheckpoint,
  parseHfConfigBytes,
  refusePickleOnlyEntries,
  hfTensorShapeEntries,
  hfTensorShapes,
  unusedHfTensors,
  CONFIG_FILE_NAME,
} from './hf/hf-model-core.js';
export type { HfModel } from './hf/hf-model-core.js';
export { openCheckpointSources, parseCheckpointIndex, SINGLE_FILE_NAME, INDEX_FILE_NAME } from './safetensors/checkpoint-files.js';
export type { CheckpointDir, CheckpointTensorInfo } from './safetensors/checkpoint-files.js';
export { openSafetensorsSource, bytesToF32 } from './safetensors/safetensors-source.js';
export type { SafetensorsFile, IntHostTensor } from './safetensors/safetensors-source.js';
export { createMemorySafetensorsWriter, planSafetensors, encodeTensorData } from './safetensors/safetensors-plan.js';
export type { MemorySafetensorsWriter, SafetensorsWriter, SafetensorsEntry, SafetensorsTensor, SafetensorsData } from './safetensors/safetensors-plan.js';
export { encodeSafetensors, decodeSafetensors } from './safetensors/safetensors-bytes.js';
export type { DecodedSafetensors, DecodedSafetensorsTensor } from './safetensors/safetensors-bytes.js';
export { syntheticModelConfig, SYNTHETIC_MODEL_SHAPES } from './synthetic/synthetic-config.js';
export type { SyntheticModelShape, SyntheticModelName } from './synthetic/synthetic-config.js';
export { fillNormal, tensorStreamSeed } from './synthetic/seeded-normal.js';
export { emptyFileProblem } from './empty-file.js';
export { bytesSource, blobSource, readAllBytes } from './io/byte-source.js';
export type { ByteSource } from './io/byte-source.js';
export { sha256Hex } from './text/sha256.js';
export { tokenizerFromBytes } from './tokenizer/tokenizer-from-bytes.js';
export type { TokenizerBytesOptions } from './tokenizer/tokenizer-from-bytes.js';
export { unusedTensorsWarning } from './unused-tensors.js';
