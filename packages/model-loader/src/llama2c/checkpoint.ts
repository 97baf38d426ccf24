import { ModelLoadError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { numelOf } from '../safetensors/dtype.js';
import type { DType, HostTensor, ModelConfig, WeightSource } from '../types.js';

/** The seven int32 of a legacy (v0) llama2.c checkpoint header. */
export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Absolute vocabulary size (the file stores it negative when the classifier is untied). */
  vocabSize: number;
  sharedClassifier: boolean;
  seqLen: number;
}

const HEADER_BYTES = 28;
/** Sizes past these are not a llama2.c model but a misread file; checked before any allocation. */
const MAX_DIM = 1 << 16;
const MAX_LAYERS = 1024;
const MAX_VOCAB = 1 << 22;
const MAX_SEQ = 1 << 22;

export function parseLlama2cHeader(bytes: Uint8Array, file: string): Llama2cHeader {
  if (bytes.byteLength < HEADER_BYTES) {
    throw new ModelLoadError(file, 'TRUNCATED', `llama2.c header needs ${HEADER_BYTES} bytes, the file has ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabRaw, seqLen] = Array.from({ length: 7 }, (_, i) => view.getInt32(i * 4, true));
  const vocabSize = Math.abs(vocabRaw!);
  const checks: [string, number, number][] = [
    ['dim', dim!, MAX_DIM],
    ['hidden_dim', hiddenDim!, MAX_DIM * 8],
    ['n_layers', nLayers!, MAX_LAYERS],
    ['n_heads', nHeads!, MAX_DIM],
    ['n_kv_heads', nKvHeads!, MAX_DIM],
    ['vocab_size', vocabSize, MAX_VOCAB],
    ['seq_len', seqLen!, MAX_SEQ],
  ];
  for (const [key, value, max] of checks) {
    if (!(value > 0 && value <= max)) {
      throw new ModelLoadError(
        file,
        'BAD_HEADER',
        `llama2.c header field ${key} = ${value} is impossible (expected 1..${max}); is this a llama2.c legacy checkpoint?`,
      );
    }
  }
  if (dim! % nHeads! !== 0) throw new ModelLoadError(file, 'BAD_HEADER', `llama2.c header: dim ${dim} is not divisible by n_heads ${nHeads}`);
  if (nHeads! % nKvHeads! !== 0) throw new ModelLoadError(file, 'BAD_HEADER', `llama2.c header: n_heads ${nHeads} is not divisible by n_kv_heads ${nKvHeads}`);
  if ((dim! / nHeads!) % 2 !== 0)
    throw new ModelLoadError(file, 'BAD_HEADER', `llama2.c header: head size ${dim! / nHeads!} is odd; RoPE needs an even head size`);
  return {
    dim: dim!,
    hiddenDim: hiddenDim!,
    nLayers: nLayers!,
    nHeads: nHeads!,
    nKvHeads: nKvHeads!,
    vocabSize,
    sharedClassifier: vocabRaw! > 0,
    seqLen: seqLen!,
  };
}

export interface Llama2cTensorSpan {
  shape: number[];
  /** Byte offset in the file. */
  offset: number;
  /** Row permutation from llama2.c's interleaved-pair RoPE layout to HF's rotate-half layout (q/k only). */
  ropeHeads?: number;
}

/** The tensor layout of a legacy llama2.c file, mapped to HF names (byte offsets in the file). */
export function llama2cLayout(h: Llama2cHeader): { spans: Map<string, Llama2cTensorSpan>; totalBytes: number } {
  const headDim = h.dim / h.nHeads;
  const kvDim = headDim * h.nKvHeads;
  const spans = new Map<string, Llama2cTensorSpan>();
  let offset = HEADER_BYTES;
  // Each block is stored for all layers at once: [n_layers, ...shape].
  const block = (name: (l: number) => string, shape: number[], ropeHeads?: number) => {
    const size = numelOf(shape) * 4;
    for (let l = 0; l < h.nLayers; l++) {
      spans.set(name(l), { shape, offset, ropeHeads });
      offset += size;
    }
  };
  const single = (name: string, shape: number[]) => {
    spans.set(name, { shape, offset });
    offset += numelOf(shape) * 4;
  };
  single('model.embed_tokens.weight', [h.vocabSize, h.dim]);
  block((l) => `model.layers.${l}.input_layernorm.weight`, [h.dim]);
  block((l) => `model.layers.${l}.self_attn.q_proj.weight`, [h.dim, h.dim], h.nHeads);
  block((l) => `model.layers.${l}.self_attn.k_proj.weight`, [kvDim, h.dim], h.nKvHeads);
  block((l) => `model.layers.${l}.self_attn.v_proj.weight`, [kvDim, h.dim]);
  block((l) => `model.layers.${l}.self_attn.o_proj.weight`, [h.dim, h.dim]);
  block((l) => `model.layers.${l}.post_attention_layernorm.weight`, [h.dim]);
  block((l) => `model.layers.${l}.mlp.gate_proj.weight`, [h.hiddenDim, h.dim]); // w1
  block((l) => `model.layers.${l}.mlp.down_proj.weight`, [h.dim, h.hiddenDim]); // w2
  block((l) => `model.layers.${l}.mlp.up_proj.weight`, [h.hiddenDim, h.dim]); // w3
  single('model.norm.weight', [h.dim]);
  offset += 2 * h.seqLen * (headDim / 2) * 4; // freq_cis_real, freq_cis_imag: recomputed from rope_theta instead
  if (!h.sharedClassifier) single('lm_head.weight', [h.vocabSize, h.dim]);
  return { spans, totalBytes: offset };
}

export function llama2cConfig(h: Llama2cHeader): ModelConfig {
  return {
    architecture: 'LlamaForCausalLM',
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    numLayers: h.nLayers,
    numHeads: h.nHeads,
    numKvHeads: h.nKvHeads,
    headDim: h.dim / h.nHeads,
    vocabSize: h.vocabSize,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxPositionEmbeddings: h.seqLen,
    tieWordEmbeddings: h.sharedClassifier,
    hiddenAct: 'silu',
    attentionBias: false,
    rmsNormAddOne: false,
    embeddingScale: 1,
    bosTokenId: 1,
    eosTokenId: 2,
    torchDtype: 'float32',
  };
}

/**
 * Moves whole rows between llama2.c's interleaved-pair RoPE layout and HF's rotate-half layout: within each head,
 * HF row r is llama2.c row 2r (r < headDim/2) or 2(r − headDim/2) + 1.
 */
function permuteRopeRows(data: Float32Array, rows: number, cols: number, heads: number, toHalves: boolean): Float32Array {
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < headDim; r++) {
      const halves = h * headDim + r;
      const interleaved = h * headDim + (r < half ? 2 * r : 2 * (r - half) + 1);
      const [src, dst] = toHalves ? [interleaved, halves] : [halves, interleaved];
      out.set(data.subarray(src * cols, (src + 1) * cols), dst * cols);
    }
  }
  return out;
}

/** llama2.c's interleaved q/k rows to HF rotate-half rows: the inverse of llama2.c's export permutation. */
export function interleavedToHalvesRows(data: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  return permuteRopeRows(data, rows, cols, heads, true);
}

/** The inverse of `interleavedToHalvesRows`: HF rotate-half rows back to llama2.c's interleaved pairs. */
export function halvesToInterleavedRows(data: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  return permuteRopeRows(data, rows, cols, heads, false);
}

class Llama2cSource implements WeightSource {
  readonly format = 'llama2c' as const;
  /** The legacy layout holds only what the forward pass reads (freq_cis is skipped, as run.c skips it). */
  readonly unusedTensors: readonly string[] = [];
  constructor(
    readonly path: string,
    readonly header: Llama2cHeader,
    readonly config: ModelConfig,
    private readonly spans: Map<string, Llama2cTensorSpan>,
    private handle: ByteSource | undefined,
  ) {}

  tensorNames(): string[] {
    return [...this.spans.keys()];
  }
  has(name: string): boolean {
    return this.spans.has(name);
  }
  private span(name: string): Llama2cTensorSpan {
    const span = this.spans.get(name);
    if (!span) throw new ModelLoadError(this.path, 'MISSING_TENSOR', `no tensor named ${name} in this llama2.c checkpoint`);
    return span;
  }
  shape(name: string): number[] {
    return [...this.span(name).shape];
  }
  dtype(name: string): DType {
    this.span(name);
    return 'F32';
  }
  async readF32(name: string): Promise<HostTensor> {
    const span = this.span(name);
    if (!this.handle) throw new ModelLoadError(this.path, 'IO', `checkpoint was closed before reading ${name}`);
    const numel = numelOf(span.shape);
    // Read straight into a fresh (aligned) Float32Array's bytes; the file is little-endian.
    const data = new Float32Array(numel);
    const bytes = new Uint8Array(data.buffer);
    if (span.offset + bytes.length > this.handle.size) throw new ModelLoadError(this.path, 'TRUNCATED', `tensor ${name} ends past the end of the file`);
    await this.handle.read(span.offset, bytes);
    if (span.ropeHeads) return { shape: [...span.shape], data: interleavedToHalvesRows(data, span.shape[0]!, span.shape[1]!, span.ropeHeads) };
    return { shape: [...span.shape], data };
  }
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}

/**
 * Opens a legacy (v0) llama2.c checkpoint lazily from any ByteSource (a Node file: `openLlama2c`; a browser `File`:
 * `blobSource`). Tensors get HF names and layout: q/k rows are permuted from llama2.c's interleaved-pair RoPE to HF's
 * rotate-half, so the same forward pass serves both formats. Errors are ModelLoadErrors naming `source.name`:
 * `TRUNCATED`/`BAD_HEADER` when the header's sizes do not match the input's length. The source is closed on failure;
 * on success the returned WeightSource owns it (its `close` closes it).
 */
export async function openLlama2cSource(source: ByteSource): Promise<WeightSource & { header: Llama2cHeader }> {
  const path = source.name;
  try {
    const head = new Uint8Array(Math.min(HEADER_BYTES, source.size));
    await source.read(0, head);
    const header = parseLlama2cHeader(head, path);
    const { spans, totalBytes } = llama2cLayout(header);
    if (source.size !== totalBytes) {
      throw new ModelLoadError(
        path,
        source.size < totalBytes ? 'TRUNCATED' : 'BAD_HEADER',
        `llama2.c header (dim ${header.dim}, hidden ${header.hiddenDim}, ${header.nLayers} layers, vocab ${header.vocabSize}) implies ${totalBytes} bytes, the file has ${source.size}`,
      );
    }
    return new Llama2cSource(path, header, llama2cConfig(header), spans, source);
  } catch (err) {
    await source.close();
    throw err;
  }
}
