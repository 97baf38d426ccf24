/**
 * Shared contracts of model-loader: the model configuration every architecture is normalised to, where weights
 * come from, and what a tokenizer does. Other packages program against these, never against a file format.
 */

export type Architecture = 'LlamaForCausalLM' | 'MistralForCausalLM' | 'Qwen2ForCausalLM' | 'GemmaForCausalLM';

/** Storage dtypes a checkpoint tensor may have. Compute is always float32. */
export type DType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'I8' | 'I16' | 'F64' | 'BOOL';

export interface RopeScaling {
  /** Only `llama3` changes the frequencies here; `default`/absent means plain RoPE. */
  ropeType: 'default' | 'llama3' | 'linear';
  factor: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositionEmbeddings?: number;
}

/** One normalised configuration for every supported architecture (HF names in comments). */
export interface ModelConfig {
  architecture: Architecture;
  /** hidden_size */
  hiddenSize: number;
  /** intermediate_size */
  intermediateSize: number;
  /** num_hidden_layers */
  numLayers: number;
  /** num_attention_heads */
  numHeads: number;
  /** num_key_value_heads (= numHeads for plain multi-head attention) */
  numKvHeads: number;
  /** head_dim (hiddenSize / numHeads unless the config says otherwise, as Gemma may) */
  headDim: number;
  vocabSize: number;
  /** rms_norm_eps */
  rmsNormEps: number;
  /** rope_theta */
  ropeTheta: number;
  ropeScaling?: RopeScaling;
  /** max_position_embeddings */
  maxPositionEmbeddings: number;
  /** sliding_window (Mistral); undefined = full causal attention */
  slidingWindow?: number;
  /** tie_word_embeddings: lm_head shares embed_tokens */
  tieWordEmbeddings: boolean;
  /** MLP activation: SwiGLU (silu) or GeGLU (tanh-approximated gelu) */
  hiddenAct: 'silu' | 'gelu_tanh';
  /** q/k/v projections carry biases (Qwen2) */
  attentionBias: boolean;
  /** RMSNorm multiplies by (1 + w) instead of w (Gemma) */
  rmsNormAddOne: boolean;
  /** Embeddings are multiplied by this (Gemma: sqrt(hiddenSize)); 1 elsewhere */
  embeddingScale: number;
  bosTokenId?: number;
  eosTokenId?: number;
  /** The storage dtype of the weights (torch_dtype / the file's dtype) */
  torchDtype?: 'float32' | 'float16' | 'bfloat16';
}

/** The linear layers of one decoder layer, by their HF short names. */
export const ATTENTION_LINEARS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_LINEARS = ['gate_proj', 'up_proj', 'down_proj'] as const;
export const DECODER_LINEARS = [...ATTENTION_LINEARS, ...MLP_LINEARS] as const;
export type LinearName = (typeof DECODER_LINEARS)[number];

/** HF tensor name of a decoder linear's weight, e.g. `model.layers.3.mlp.down_proj.weight`. */
export function linearTensorName(layer: number, linear: LinearName): string {
  const block = (ATTENTION_LINEARS as readonly string[]).includes(linear) ? 'self_attn' : 'mlp';
  return `model.layers.${layer}.${block}.${linear}.weight`;
}

/** A host-side tensor: row-major data plus shape. Float data is always float32 here. */
export interface HostTensor<T extends Float32Array | Int32Array | BigInt64Array | Uint8Array = Float32Array> {
  shape: number[];
  data: T;
}

/** Where a model's weights come from: reads one tensor at a time (lazily, by byte range). */
export interface WeightSource {
  /** Path the user gave (dir or file), for messages. */
  readonly path: string;
  readonly format: 'hf' | 'llama2c';
  readonly config: ModelConfig;
  /** Every tensor name, in HF naming (llama2.c checkpoints are mapped to HF names). */
  tensorNames(): string[];
  /**
   * Tensors the checkpoint holds that the configured architecture does not read (e.g. `mlp.*_proj.bias` in a Llama
   * checkpoint whose config.json has no `mlp_bias`), in checkpoint order. The forward pass ignores them, as
   * transformers does (it lists them as unused weights); checkpoint writers copy them unchanged. Absent or empty: none.
   */
  readonly unusedTensors?: readonly string[];
  has(name: string): boolean;
  shape(name: string): number[];
  /** Storage dtype of the tensor as the checkpoint holds it. */
  dtype(name: string): DType;
  /** Reads one tensor and converts it to float32 (HF layout: linear weights are [out, in]). */
  readF32(name: string): Promise<HostTensor>;
  /**
   * Optional: as `readF32`, into a fresh Float32Array on a SharedArrayBuffer that the caller owns (the decoder layer
   * hands such arrays to its worker threads without a copy, and may overwrite them). Sources without it are read
   * with `readF32` and copied.
   */
  readF32Shared?(name: string): Promise<HostTensor>;
  /**
   * Optional: rows `rows[i]` of a float tensor as float32, concatenated (an embedding lookup that reads only those
   * rows instead of the whole table). Sources without it are read whole with `readF32`.
   */
  readF32Rows?(name: string, rows: ArrayLike<number>): Promise<Float32Array>;
  /** Releases file handles. */
  close(): Promise<void>;
}

export interface EncodeOptions {
  /** Prepend the BOS id (default true). */
  bos?: boolean;
  /** Append the EOS id (default false). */
  eos?: boolean;
}

export interface Tokenizer {
  readonly kind: 'llama2c' | 'sentencepiece' | 'hf-json';
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string, options?: EncodeOptions): number[];
  /** Decodes ids to text (byte tokens reassembled as UTF-8; BOS/EOS dropped). */
  decode(ids: readonly number[]): string;
  /** The text of one token as it appears after `prev` (llama2.c semantics: leading space stripped after BOS). */
  decodeToken?(prev: number, id: number): string;
  /** sha256 of the file it was loaded from (recorded in calibration metadata). */
  readonly sha256: string;
}
