import { hasTorchDtype, TORCH_DTYPE_OF } from '../safetensors/dtype.js';
import type { ModelConfig } from '../types.js';
import { InvalidArgumentError } from '@dass/errors';

/** The dimensions that decide a LLaMA model's cost; everything else is LLaMA's defaults. */
export interface SyntheticModelShape {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Default: numHeads (plain multi-head attention). */
  numKvHeads?: number;
  vocabSize: number;
  /** Default 2048 (long enough for 512-token calibration windows, which the real stories15M's 256 is not). */
  maxPositionEmbeddings?: number;
  /** Default false (a separate lm_head). */
  tieWordEmbeddings?: boolean;
}

/** Shapes of public checkpoints that are not available here, for benchmarks with random weights. */
export const SYNTHETIC_MODEL_SHAPES = {
  /** llama2.c stories15M: dim 288, hidden 768, 6 layers, 6 heads, vocab 32000, shared classifier. */
  stories15M: { hiddenSize: 288, intermediateSize: 768, numLayers: 6, numHeads: 6, numKvHeads: 6, vocabSize: 32000, tieWordEmbeddings: true },
  /** HuggingFaceTB/SmolLM-135M: dim 576, hidden 1536, 30 layers, 9 heads, 3 KV heads, vocab 49152, tied. */
  smolLM135M: { hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKvHeads: 3, vocabSize: 49152, tieWordEmbeddings: true },
  /** TinyLlama-1.1B: dim 2048, hidden 5632, 22 layers, 32 heads, 4 KV heads, vocab 32000, untied. */
  tinyLlama1B: { hiddenSize: 2048, intermediateSize: 5632, numLayers: 22, numHeads: 32, numKvHeads: 4, vocabSize: 32000, tieWordEmbeddings: false },
  /** One decoder layer of LLaMA-2-7B (dim 4096, hidden 11008, 32 heads, vocab 32000; tied so no lm_head is stored). */
  llama2_7B_1layer: { hiddenSize: 4096, intermediateSize: 11008, numLayers: 1, numHeads: 32, numKvHeads: 32, vocabSize: 32000, tieWordEmbeddings: true },
} as const satisfies Record<string, SyntheticModelShape>;

export type SyntheticModelName = keyof typeof SYNTHETIC_MODEL_SHAPES;

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new InvalidArgumentError(`shape.${name}`, `expected a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** A LlamaForCausalLM configuration with `shape`'s dimensions (RoPE θ 10000, RMSNorm ε 1e-5, SiLU, BOS 1, EOS 2). */
export function syntheticModelConfig(shape: SyntheticModelShape, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): ModelConfig {
  if (typeof shape !== 'object' || shape === null) throw new InvalidArgumentError('shape', `expected an object of model dimensions, got ${String(shape)}`);
  const hiddenSize = positive('hiddenSize', shape.hiddenSize);
  const numHeads = positive('numHeads', shape.numHeads);
  const numKvHeads = positive('numKvHeads', shape.numKvHeads ?? numHeads);
  if (hiddenSize % numHeads !== 0) throw new InvalidArgumentError('shape.numHeads', `${numHeads} does not divide hiddenSize ${hiddenSize}`);
  if (numHeads % numKvHeads !== 0) throw new InvalidArgumentError('shape.numKvHeads', `${numKvHeads} does not divide numHeads ${numHeads}`);
  const headDim = hiddenSize / numHeads;
  if (headDim % 2 !== 0) throw new InvalidArgumentError('shape', `head dimension ${headDim} (hiddenSize / numHeads) must be even for RoPE`);
  if (!hasTorchDtype(dtype)) throw new InvalidArgumentError('dtype', `expected F32, F16 or BF16, got ${JSON.stringify(dtype)}`);
  return {
    architecture: 'LlamaForCausalLM',
    hiddenSize,
    intermediateSize: positive('intermediateSize', shape.intermediateSize),
    numLayers: positive('numLayers', shape.numLayers),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: positive('vocabSize', shape.vocabSize),
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxPositionEmbeddings: positive('maxPositionEmbeddings', shape.maxPositionEmbeddings ?? 2048),
    tieWordEmbeddings: shape.tieWordEmbeddings ?? false,
    hiddenAct: 'silu',
    attentionBias: false,
    rmsNormAddOne: false,
    embeddingScale: 1,
    bosTokenId: 1,
    eosTokenId: 2,
    torchDtype: TORCH_DTYPE_OF[dtype],
  };
}
