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
export { LayerWorkerPool, defaultThreads, layerPassFlops, MIN_PARALLEL_PASS_FLOPS } from './model/layer-pool.js';
export { samplesPerPass } from './model/decoder-layer.js';
export { DeviceHidden } from './model/device-hidden.js';
export { attendCausalDevice, applyRopeDevice } from './model/device-attention.js';
export { ropeInverseFrequencies, ropeTables } from './model/rope.js';
export { openLlama2c, parseLlama2cHeader, llama2cConfig, llama2cLayout, interleavedToHalvesRows, halvesToInterleavedRows } from './llama2c/checkpoint.js';
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
export { loadTokenizer, TOKENIZER_FILE_NAMES } from './tokenizer/load-tokenizer.js';
export type { LoadTokenizerOptions } from './tokenizer/load-tokenizer.js';
export { checkIdsInVocab } from './tokenizer/check-ids-in-vocab.js';
export { decodeUtf8Exact, decodeJsonText, startsWithUtf8Bom } from './text/exact-utf8.js';
export { openSafetensors, bytesToF32 } from './safetensors/safetensors-file.js';
export type { SafetensorsFile, IntHostTensor } from './safetensors/safetensors-file.js';
export { SAFETENSORS_HEADER_CAP } from './safetensors/safetensors-header.js';
export type { SafetensorsTensorInfo } from './safetensors/safetensors-header.js';
export { writeSafetensors, createSafetensorsWriter } from './safetensors/safetensors-writer.js';
export { encodeSafetensors, decodeSafetensors } from './safetensors/safetensors-bytes.js';
export type { DecodedSafetensors, DecodedSafetensorsTensor } from './safetensors/safetensors-bytes.js';
export { writeFileAtomic, writeJsonAtomic, tempPathFor } from './write-atomic.js';
export type { WriteFileAtomicOptions } from './write-atomic.js';
export type { SafetensorsWriter, SafetensorsEntry, SafetensorsTensor, SafetensorsData } from './safetensors/safetensors-writer.js';
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
export { openCheckpointDir, SINGLE_FILE_NAME, INDEX_FILE_NAME } from './safetensors/checkpoint-dir.js';
export type { CheckpointDir, CheckpointTensorInfo } from './safetensors/checkpoint-dir.js';
export { parseHfConfig, hfConfigJson, SUPPORTED_ARCHITECTURES } from './hf/hf-config.js';
export { openHfModel, hfTensorShapes, unusedHfTensors, unusedTensorsWarning, CONFIG_FILE_NAME } from './hf/hf-model.js';
export type { HfModel } from './hf/hf-model.js';
export { convertLlama2cToHf, LLAMA2C_TOKENIZER_FILE_NAME } from './convert/llama2c-to-hf.js';
export type { ConvertLlama2cOptions, ConvertResult, ConvertDtype } from './convert/llama2c-to-hf.js';
export { openModel } from './open-model.js';
export { writeSyntheticCheckpoint, syntheticTensorValues } from './synthetic/synthetic-checkpoint.js';
export type { SyntheticCheckpointOptions, SyntheticCheckpoint, SyntheticDtype } from './synthetic/synthetic-checkpoint.js';
export { syntheticModelConfig, SYNTHETIC_MODEL_SHAPES } from './synthetic/synthetic-config.js';
export type { SyntheticModelShape, SyntheticModelName } from './synthetic/synthetic-config.js';
export { fillNormal, tensorStreamSeed } from './synthetic/seeded-normal.js';
export { OutputPathError, assertOutputApartFromInputs, assertReplaceableOutput, realOutputPath } from './output-paths.js';
export type { NamedPath, ReplaceableKind } from './output-paths.js';
export { emptyFileProblem } from './empty-file.js';
