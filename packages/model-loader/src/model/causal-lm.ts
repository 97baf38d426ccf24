import { DeviceLimitError, ensureBackend, layerExecution, maxTensorBytes, tf } from '@dass/tensor-backend';
import type { ModelConfig, WeightSource } from '../types.js';
import { DecoderLayer, samplesPerPass } from './decoder-layer.js';
import { DeviceHidden } from './device-hidden.js';
import type { LayerForwardOptions } from './decoder-layer.js';
import { LayerContext } from './layer-context.js';
import { createLayerPool } from './layer-pool-registry.js';
import { InvalidArgumentError } from '@dass/errors';

export interface CausalLMOptions {
  /**
   * Keep decoder layers resident after first use (fast repeated evaluation). Default: only when all layers together
   * need less than `cacheLayersBelowBytes` in float32.
   */
  cacheLayers?: boolean;
  /** Default 1 GiB. */
  cacheLayersBelowBytes?: number;
  /**
   * Keep the float32 embedding table after `embed` (vocab × hidden × 4 bytes: 262 MB for TinyLlama). Default: same as
   * `cacheLayers`, so a model that streams its layers (layer-sequential pruning) does not hold the table either.
   */
  cacheEmbeddings?: boolean;
  /** Token budget of one tfjs pass through a layer (default 4096). */
  maxTokensPerPass?: number;
  /** Bytes of float32 logits computed at once (default 64 MiB): the vocabulary projection runs in row chunks. */
  logitsChunkBytes?: number;
  /**
   * Worker threads for the decoder layers (default 1: this thread). With N ≥ 2, every layer pass splits its samples
   * (batch rows) between N threads, each with its own tfjs instance and its own device copy of the resident layer(s);
   * results equal the one-thread ones up to float summation order. Pass a batch of ≥ N samples to use them all.
   */
  threads?: number;
}

export interface ForwardProgress {
  layer: number;
  layers: number;
}

/**
 * A causal language model that reads its weights one decoder layer at a time. Hidden states between layers are
 * host Float32Arrays [batch, seqLen, hidden], so the same code serves evaluation and layer-sequential pruning.
 */
export class CausalLM {
  readonly config: ModelConfig;
  private readonly context: LayerContext;
  private readonly layerCache = new Map<number, DecoderLayer>();
  private embedTable?: Float32Array;
  private finalNorm?: tf.Tensor1D;
  /** The head transposed, [hidden, vocab], in column blocks that each fit one device buffer (one block off WebGPU). */
  private headBlocks?: tf.Tensor2D[];
  readonly cacheLayers: boolean;
  readonly cacheEmbeddings: boolean;

  private constructor(
    readonly source: WeightSource,
    private readonly options: CausalLMOptions,
  ) {
    this.config = source.config;
    this.context = new LayerContext(this.config);
    const c = this.config;
    const layerBytes = 4 * c.hiddenSize * (2 * c.numHeads * c.headDim + 2 * c.numKvHeads * c.headDim + 3 * c.intermediateSize);
    this.cacheLayers = options.cacheLayers ?? layerBytes * c.numLayers < (options.cacheLayersBelowBytes ?? 2 ** 30);
    this.cacheEmbeddings = options.cacheEmbeddings ?? this.cacheLayers;
  }

  static async fromSource(source: WeightSource, options: CausalLMOptions = {}): Promise<CausalLM> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError('threads', `expected an integer >= 1, got ${threads}`);
    const backend = await ensureBackend();
    const model = new CausalLM(source, options);
    if (threads > 1) model.context.pool = await createLayerPool({ threads, config: model.config, backend: backend.name });
    return model;
  }

  /** Threads that run the decoder layers (1: this one). */
  get threads(): number {
    return this.context.pool?.threads ?? 1;
  }

  /** Validates token ids against the vocabulary, naming the first bad one. */
  checkIds(ids: ArrayLike<number>): void {
    const v = this.config.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= v) {
        throw new InvalidArgumentError('ids', `token ${id} at position ${i} is outside the model's vocabulary [0, ${v}); is the tokenizer the model's own?`);
      }
    }
  }

  /** Embeds `batch × seqLen` ids into host hidden states [batch, seqLen, hidden]. */
  async embed(ids: Int32Array, batch: number, seqLen: number): Promise<Float32Array> {
    if (ids.length !== batch * seqLen) throw new InvalidArgumentError('ids', `expected ${batch}×${seqLen} = ${batch * seqLen} ids, got ${ids.length}`);
    this.checkIds(ids);
    if (!this.embedTable && !this.cacheEmbeddings && this.source.readF32Rows) {
      // Not kept: read only the rows the ids need (a 7B table is 0.5 GB of float32 to decode for a few thousand rows).
      return this.scaleEmbeddings(await this.source.readF32Rows('model.embed_tokens.weight', ids));
    }
    return this.gatherEmbeddings(await this.embeddingTable(), ids);
  }

  /** Multiplies gathered embedding rows by the embedding scale, in place (nothing to do at scale 1). */
  private scaleEmbeddings(rows: Float32Array): Float32Array {
    const scale = Math.fround(this.config.embeddingScale);
    if (scale !== 1) for (let i = 0; i < rows.length; i++) rows[i] = rows[i]! * scale;
    return rows;
  }

  private async embeddingTable(): Promise<Float32Array> {
    const table = this.embedTable ?? (await this.source.readF32('model.embed_tokens.weight')).data;
    if (this.cacheEmbeddings) this.embedTable = table;
    return table;
  }

  /** Rows of the embedding table for `ids` (times the embedding scale), [ids.length, hidden]. */
  private gatherEmbeddings(table: Float32Array, ids: Int32Array): Float32Array {
    const d = this.config.hiddenSize;
    const out = new Float32Array(ids.length * d);
    const scale = this.config.embeddingScale;
    for (let i = 0; i < ids.length; i++) {
      const row = table.subarray(ids[i]! * d, (ids[i]! + 1) * d);
      if (scale === 1) out.set(row, i * d);
      else for (let j = 0; j < d; j++) out[i * d + j] = row[j]! * Math.fround(scale);
    }
    return out;
  }

  /** Where layers run on the active backend (`layerExecution()` of @dass/tensor-backend decides, in one place). */
  get execution(): 'host-assisted' | 'device' {
    return layerExecution();
  }

  /**
   * Embeds `batch × seqLen` ids straight into device chunks (one chunk per layer pass, sized by `samplesPerPass`):
   * the table lookup runs on the host, each chunk is uploaded once; nothing is read back.
   */
  async embedDevice(ids: Int32Array, batch: number, seqLen: number, maxTokensPerPass = this.options.maxTokensPerPass): Promise<DeviceHidden> {
    if (ids.length !== batch * seqLen) throw new InvalidArgumentError('ids', `expected ${batch}×${seqLen} = ${batch * seqLen} ids, got ${ids.length}`);
    this.checkIds(ids);
    const perPass = samplesPerPass(this.config, seqLen, { maxTokensPerPass });
    const table = await this.embeddingTable();
    const d = this.config.hiddenSize;
    const chunks: tf.Tensor2D[] = [];
    const samples: number[] = [];
    for (let start = 0; start < batch; start += perPass) {
      const n = Math.min(perPass, batch - start);
      chunks.push(tf.tensor2d(this.gatherEmbeddings(table, ids.subarray(start * seqLen, (start + n) * seqLen)), [n * seqLen, d]));
      samples.push(n);
    }
    return new DeviceHidden(chunks, samples, seqLen, d);
  }

  /** `forwardHidden` with the states kept on the device (the caller disposes the result). */
  async forwardHiddenDevice(ids: Int32Array, batch: number, seqLen: number, onProgress?: (p: ForwardProgress) => void): Promise<DeviceHidden> {
    let hidden = await this.embedDevice(ids, batch, seqLen);
    try {
      for (let l = 0; l < this.config.numLayers; l++) {
        const layer = await this.layer(l);
        const next = layer.forwardDevice(hidden);
        hidden.dispose();
        hidden = next;
        this.release(layer);
        onProgress?.({ layer: l + 1, layers: this.config.numLayers });
      }
    } catch (err) {
      hidden.dispose();
      throw err;
    }
    return hidden;
  }

  /** Loads decoder layer `index` (the caller disposes it, unless it comes from the model's cache: see `layer`). */
  loadLayer(index: number): Promise<DecoderLayer> {
    return DecoderLayer.load(this.source, index, this.context);
  }

  /** A layer for running the model: cached when `cacheLayers`, else freshly loaded (then `release` frees it). */
  private async layer(index: number): Promise<DecoderLayer> {
    const cached = this.layerCache.get(index);
    if (cached) return cached;
    const layer = await this.loadLayer(index);
    if (this.cacheLayers) this.layerCache.set(index, layer);
    return layer;
  }

  private release(layer: DecoderLayer): void {
    if (!this.cacheLayers) layer.dispose();
  }

  /** Runs every decoder layer over the hidden states (layer-major: one layer resident at a time unless cached). */
  async forwardHidden(ids: Int32Array, batch: number, seqLen: number, onProgress?: (p: ForwardProgress) => void): Promise<Float32Array> {
    if (this.execution === 'device') {
      const onDevice = await this.forwardHiddenDevice(ids, batch, seqLen, onProgress);
      try {
        return await onDevice.read();
      } finally {
        onDevice.dispose();
      }
    }
    let hidden = await this.embed(ids, batch, seqLen);
    const forwardOptions: LayerForwardOptions = { maxTokensPerPass: this.options.maxTokensPerPass };
    for (let l = 0; l < this.config.numLayers; l++) {
      const layer = await this.layer(l);
      hidden = await layer.run(hidden, batch, seqLen, forwardOptions);
      this.release(layer);
      onProgress?.({ layer: l + 1, layers: this.config.numLayers });
    }
    return hidden;
  }

  private async head(): Promise<{ norm: tf.Tensor1D; headT: tf.Tensor2D[] }> {
    if (!this.finalNorm || !this.headBlocks) {
      const normData = (await this.source.readF32('model.norm.weight')).data;
      this.finalNorm = tf.tensor1d(this.config.rmsNormAddOne ? normData.map((v) => 1 + v) : normData);
      const tied = this.config.tieWordEmbeddings || !this.source.has('lm_head.weight');
      // A tied head is the embedding table: reuse the cached one rather than reading it again.
      const head =
        tied && this.embedTable
          ? { shape: [this.config.vocabSize, this.config.hiddenSize], data: this.embedTable }
          : await this.source.readF32(tied ? 'model.embed_tokens.weight' : 'lm_head.weight');
      const [vocab, d] = [head.shape[0]!, head.shape[1]!];
      // WebGPU caps one buffer (maxStorageBufferBindingSize/maxBufferSize): a 128k-vocabulary head (Llama-3, 2.1 GB in
      // float32) is uploaded in vocabulary blocks that each fit; elsewhere it is one block.
      const cap = maxTensorBytes();
      const blockRows = cap === Infinity ? vocab : Math.floor(cap / (4 * d));
      if (blockRows < 1) throw new DeviceLimitError(`lm head: one [${d}] row exceeds the GPU adapter's largest buffer (${cap} bytes)`);
      const blocks: tf.Tensor2D[] = [];
      for (let v0 = 0; v0 < vocab; v0 += blockRows) {
        const v1 = Math.min(vocab, v0 + blockRows);
        blocks.push(tf.tidy(() => tf.transpose(tf.tensor2d(head.data.subarray(v0 * d, v1 * d), [v1 - v0, d])) as tf.Tensor2D));
      }
      this.headBlocks = blocks;
    }
    return { norm: this.finalNorm, headT: this.headBlocks };
  }

  /** Logits [n, vocab] of hidden rows [n, hidden]: final norm, then the head (block by block). Call inside a tidy. */
  private rowLogits(rows: tf.Tensor2D, norm: tf.Tensor1D, headT: tf.Tensor2D[]): tf.Tensor2D {
    const normed = this.context.rmsNorm(rows, norm);
    if (headT.length === 1) return tf.matMul(normed, headT[0]!);
    return tf.concat(
      headT.map((block) => tf.matMul(normed, block)),
      1,
    ) as tf.Tensor2D;
  }

  /** Host hidden rows [firstRow, firstRow + n) as a tensor [n, hidden]. */
  private hostRows(hidden: Float32Array, firstRow: number, n: number): tf.Tensor2D {
    const d = this.config.hiddenSize;
    return tf.tensor2d(hidden.subarray(firstRow * d, (firstRow + n) * d), [n, d]);
  }

  /** Rows of [rows, vocab] float32 logits that fit `logitsChunkBytes`. */
  private logitsChunkRows(): number {
    const bytes = Math.min(this.options.logitsChunkBytes ?? 64 * 2 ** 20, maxTensorBytes());
    return Math.max(1, Math.floor(bytes / (4 * this.config.vocabSize)));
  }

  /**
   * Final norm and vocabulary projection of `rows` hidden rows, in chunks of rows so the [rows, vocab] logits never
   * exist at once; `onChunk` receives each chunk's logits as a host array [chunkRows, vocab].
   */
  async projectLogits(hidden: Float32Array, rows: number, onChunk: (firstRow: number, chunkRows: number, logits: Float32Array) => void): Promise<void> {
    const d = this.config.hiddenSize;
    if (hidden.length !== rows * d) throw new InvalidArgumentError('hidden', `expected ${rows}×${d} values, got ${hidden.length}`);
    const { norm, headT } = await this.head();
    const chunkRows = this.logitsChunkRows();
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      const logits = tf.tidy(() => this.rowLogits(this.hostRows(hidden, r, n), norm, headT));
      const data = (await logits.data()) as Float32Array;
      logits.dispose();
      onChunk(r, n, data);
    }
  }

  /**
   * NLL of ids[b, t+1] given ids[b, 0..t] for t = 0..seqLen−2 and every row b: Float32Array [batch·(seqLen−1)].
   * Rows may be right-padded: causal attention means padding never changes earlier positions.
   */
  async tokenNll(ids: Int32Array, batch: number, seqLen: number): Promise<Float32Array> {
    if (seqLen < 2) throw new InvalidArgumentError('seqLen', `need at least 2 tokens to score a next token, got ${seqLen}`);
    const v = this.config.vocabSize;
    const chunkRows = this.logitsChunkRows();
    // log-sum-exp and the target's logit on tfjs: only [rows] values come back, never the [rows, vocab] logits.
    const nllOf = (rows: tf.Tensor2D, b: number, first: number, n: number, norm: tf.Tensor1D, headT: tf.Tensor2D[]) => {
      const at = new Int32Array(n);
      for (let i = 0; i < n; i++) at[i] = i * v + ids[b * seqLen + first + i + 1]!;
      const logits = this.rowLogits(rows, norm, headT);
      const target = tf.gather(tf.reshape(logits, [n * v]), tf.tensor1d(at, 'int32'));
      return tf.sub(tf.logSumExp(logits, 1), target) as tf.Tensor1D;
    };
    if (this.execution === 'device') {
      // Hidden states never leave the device: the NLLs of every row are gathered there and read once.
      const hidden = await this.forwardHiddenDevice(ids, batch, seqLen);
      const parts: tf.Tensor1D[] = [];
      try {
        const { norm, headT } = await this.head();
        let b = 0;
        for (let c = 0; c < hidden.chunks.length; c++) {
          const chunk = hidden.chunks[c]!;
          for (let s = 0; s < hidden.samples[c]!; s++, b++) {
            for (let first = 0; first < seqLen - 1; first += chunkRows) {
              const n = Math.min(chunkRows, seqLen - 1 - first);
              parts.push(tf.tidy(() => nllOf(tf.slice(chunk, [s * seqLen + first, 0], [n, -1]), b, first, n, norm, headT)));
            }
          }
        }
        const all = tf.tidy(() => (parts.length === 1 ? tf.clone(parts[0]!) : tf.concat(parts)));
        try {
          return (await all.data()) as Float32Array;
        } finally {
          all.dispose();
        }
      } finally {
        for (const p of parts) p.dispose();
        hidden.dispose();
      }
    }
    const hidden = await this.forwardHidden(ids, batch, seqLen);
    const nll = new Float32Array(batch * (seqLen - 1));
    const { norm, headT } = await this.head();
    for (let b = 0; b < batch; b++) {
      for (let first = 0; first < seqLen - 1; first += chunkRows) {
        const n = Math.min(chunkRows, seqLen - 1 - first);
        const result = tf.tidy(() => nllOf(this.hostRows(hidden, b * seqLen + first, n), b, first, n, norm, headT));
        nll.set(result.dataSync() as Float32Array, b * (seqLen - 1) + first);
        result.dispose();
      }
    }
    return nll;
  }

  /** Logits [ids.length, vocab] of one sequence (small inputs: tests, generation). */
  async logits(ids: readonly number[]): Promise<Float32Array> {
    const hidden = await this.forwardHidden(Int32Array.from(ids), 1, ids.length);
    const v = this.config.vocabSize;
    const out = new Float32Array(ids.length * v);
    await this.projectLogits(hidden, ids.length, (first, _n, logits) => out.set(logits, first * v));
    return out;
  }

  /** Greedy (argmax) decoding, llama2.c style: starts from `prompt`, stops at `maxLength` tokens or a stop id. */
  async generateGreedy(prompt: readonly number[], maxLength: number, stopIds: readonly number[] = []): Promise<number[]> {
    if (prompt.length === 0) throw new InvalidArgumentError('prompt', 'expected at least one token (e.g. BOS)');
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new InvalidArgumentError('maxLength', `expected a positive integer, got ${maxLength}`);
    const tokens = [...prompt];
    const d = this.config.hiddenSize;
    const v = this.config.vocabSize;
    while (tokens.length < maxLength) {
      const hidden = await this.forwardHidden(Int32Array.from(tokens), 1, tokens.length);
      let next = 0;
      await this.projectLogits(hidden.subarray((tokens.length - 1) * d), 1, (_f, _n, logits) => {
        for (let j = 1; j < v; j++) if (logits[j]! > logits[next]!) next = j;
      });
      if (stopIds.includes(next)) break;
      tokens.push(next);
    }
    return tokens;
  }

  dispose(): void {
    for (const layer of this.layerCache.values()) layer.dispose();
    this.layerCache.clear();
    this.finalNorm?.dispose();
    for (const block of this.headBlocks ?? []) block.dispose();
    this.finalNorm = undefined;
    this.headBlocks = undefined;
    this.context.dispose();
  }
}
