import { tf } from '@dass/tensor-backend';
import { ModelLoadError } from '../errors.js';
import { DECODER_LINEARS, linearTensorName } from '../types.js';
import type { HostTensor, LinearName, ModelConfig, WeightSource } from '../types.js';
import { applyRopeInPlace, attendCausal } from './attention.js';
import type { LayerContext } from './layer-context.js';

/**
 * Receives the input of a group of linears that share it (rows = tokens): q/k/v, then o, then gate/up, then down.
 * It runs inside a tfjs scope: read what you need synchronously (or `tf.keep` it); the tensor is freed afterwards.
 */
export type LinearInputCapture = (linears: readonly LinearName[], input: tf.Tensor2D) => void;

export interface LayerForwardOptions {
  capture?: LinearInputCapture;
  /** Samples per tfjs pass (default: as many as fit `maxTokensPerPass` tokens, at least 1). */
  samplesPerPass?: number;
  /** Token budget of one pass when `samplesPerPass` is not given (default 4096). */
  maxTokensPerPass?: number;
}

const QKV: readonly LinearName[] = ['q_proj', 'k_proj', 'v_proj'];
const O: readonly LinearName[] = ['o_proj'];
const GATE_UP: readonly LinearName[] = ['gate_proj', 'up_proj'];
const DOWN: readonly LinearName[] = ['down_proj'];

/**
 * Upload a [out, in] host matrix as its transpose [in, out], so every matmul runs without a transpose flag. The
 * transpose happens on the host (in cache-sized tiles): transposing on tfjs would hold both layouts in the wasm heap
 * at once, and that heap never shrinks.
 */
function uploadTransposed(w: HostTensor): tf.Tensor2D {
  const rows = w.shape[0]!;
  const cols = w.shape[1]!;
  const src = w.data;
  const out = new Float32Array(rows * cols);
  const tile = 64;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(rows, r0 + tile);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(cols, c0 + tile);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[base + c]!;
      }
    }
  }
  return tf.tensor2d(out, [cols, rows]);
}

/**
 * Matrices with the same input width stacked along `out` and uploaded transposed: [in, Σ out]. One matmul then
 * computes all of them (q/k/v share their input); its output columns are the matrices' outputs side by side.
 */
function uploadStackedTransposed(ws: readonly HostTensor[]): tf.Tensor2D {
  const cols = ws[0]!.shape[1]!;
  let rows = 0;
  for (const w of ws) rows += w.shape[0]!;
  const stacked = new Float32Array(rows * cols);
  let offset = 0;
  for (const w of ws) {
    stacked.set(w.data, offset);
    offset += w.data.length;
  }
  return uploadTransposed({ shape: [rows, cols], data: stacked });
}

/**
 * One decoder layer, resident on its own: host copies of its seven linear weights (for pruning) and the tfjs tensors
 * the forward pass uses. Load, run over many samples, optionally replace weights, dispose.
 */
export class DecoderLayer {
  private readonly linears = new Map<LinearName, HostTensor>();
  private readonly transposed = new Map<LinearName, tf.Tensor2D>();
  private readonly biases = new Map<LinearName, tf.Tensor1D>();
  /** q/k/v stacked ([in, (numHeads + 2·numKvHeads)·headDim]) and their biases; rebuilt after a q/k/v change. */
  private qkv?: { weight: tf.Tensor2D; bias?: tf.Tensor1D };
  private inputNorm!: tf.Tensor1D;
  private postNorm!: tf.Tensor1D;
  private disposed = false;

  private constructor(
    readonly index: number,
    readonly config: ModelConfig,
    private readonly context: LayerContext,
  ) {}

  static async load(source: WeightSource, index: number, context: LayerContext): Promise<DecoderLayer> {
    const config = source.config;
    if (!Number.isInteger(index) || index < 0 || index >= config.numLayers) {
      throw new RangeError(`layer index: expected an integer in [0, ${config.numLayers - 1}], got ${index}`);
    }
    const layer = new DecoderLayer(index, config, context);
    const prefix = `model.layers.${index}.`;
    const readNorm = async (name: string) => {
      const t = await source.readF32(prefix + name);
      const data = config.rmsNormAddOne ? t.data.map((v) => 1 + v) : t.data;
      return tf.tensor1d(data);
    };
    try {
      layer.inputNorm = await readNorm('input_layernorm.weight');
      layer.postNorm = await readNorm('post_attention_layernorm.weight');
      for (const name of DECODER_LINEARS) {
        const tensor = await source.readF32(linearTensorName(index, name));
        layer.linears.set(name, tensor);
        if (!QKV.includes(name)) layer.transposed.set(name, uploadTransposed(tensor));
      }
      if (config.attentionBias) {
        for (const name of QKV) {
          const biasName = `${prefix}self_attn.${name}.bias`;
          if (!source.has(biasName)) throw new ModelLoadError(source.path, 'MISSING_TENSOR', `${biasName} is missing (the config says q/k/v have biases)`);
          layer.biases.set(name, tf.tensor1d((await source.readF32(biasName)).data));
        }
      }
    } catch (err) {
      layer.dispose();
      throw err;
    }
    return layer;
  }

  /** Host copy of a linear's weight, [out, in]. Mutating it changes nothing until `setLinearWeight`. */
  linearWeight(name: LinearName): HostTensor {
    const t = this.linears.get(name);
    if (!t) throw new Error(`linear: expected one of ${DECODER_LINEARS.join(', ')}, got ${JSON.stringify(name)}`);
    return t;
  }

  /** Replaces a linear's weight (e.g. after pruning); the next forward uses it. */
  setLinearWeight(name: LinearName, data: Float32Array): void {
    const old = this.linearWeight(name);
    if (data.length !== old.data.length) {
      throw new RangeError(`setLinearWeight(${name}): expected ${old.data.length} values ([${old.shape.join(', ')}]), got ${data.length}`);
    }
    const tensor: HostTensor = { shape: old.shape, data };
    this.linears.set(name, tensor);
    if (QKV.includes(name)) {
      this.disposeQkv();
      return;
    }
    this.transposed.get(name)?.dispose();
    this.transposed.set(name, uploadTransposed(tensor));
  }

  /** Bytes of float32 weights this layer holds on the host. */
  get hostBytes(): number {
    let n = 0;
    for (const t of this.linears.values()) n += t.data.byteLength;
    return n;
  }

  /**
   * Runs the layer over `batch` samples of `seqLen` tokens (hidden: [batch, seqLen, hidden] row-major) and returns the
   * new hidden states; passes of several samples at a time keep tfjs memory bounded.
   */
  forward(hidden: Float32Array, batch: number, seqLen: number, options: LayerForwardOptions = {}): Float32Array {
    if (this.disposed) throw new Error(`decoder layer ${this.index} was disposed`);
    const d = this.config.hiddenSize;
    if (hidden.length !== batch * seqLen * d) {
      throw new RangeError(`hidden: expected ${batch}×${seqLen}×${d} = ${batch * seqLen * d} values, got ${hidden.length}`);
    }
    const perPass = options.samplesPerPass ?? Math.max(1, Math.floor((options.maxTokensPerPass ?? 4096) / seqLen));
    const out = new Float32Array(hidden.length);
    for (let start = 0; start < batch; start += perPass) {
      const n = Math.min(perPass, batch - start);
      const slice = hidden.subarray(start * seqLen * d, (start + n) * seqLen * d);
      const result = tf.tidy(() => this.forwardPass(tf.tensor2d(slice, [n * seqLen, d]), n, seqLen, options.capture));
      out.set(result.dataSync(), start * seqLen * d);
      result.dispose();
    }
    return out;
  }

  /** The stacked q/k/v weight (built on first use after load or after a q/k/v weight changed). */
  private stackedQkv(): { weight: tf.Tensor2D; bias?: tf.Tensor1D } {
    if (!this.qkv) {
      const weight = tf.keep(uploadStackedTransposed(QKV.map((n) => this.linears.get(n)!)));
      let bias: tf.Tensor1D | undefined;
      if (this.biases.size > 0) bias = tf.keep(tf.concat(QKV.map((n) => this.biases.get(n)!)) as tf.Tensor1D);
      this.qkv = { weight, bias };
    }
    return this.qkv;
  }

  private disposeQkv(): void {
    this.qkv?.weight.dispose();
    this.qkv?.bias?.dispose();
    this.qkv = undefined;
  }

  private forwardPass(x: tf.Tensor2D, batch: number, seqLen: number, capture?: LinearInputCapture): tf.Tensor2D {
    const c = this.config;
    const nH = c.numHeads;
    const nKV = c.numKvHeads;
    const hd = c.headDim;
    const tokens = batch * seqLen;
    const linear = (input: tf.Tensor2D, name: LinearName): tf.Tensor2D => tf.matMul(input, this.transposed.get(name)!) as tf.Tensor2D;

    // Nested tidies free each stage's temporaries as soon as it is done: the wasm heap keeps its high-water mark.
    const qkvWeight = this.stackedQkv();
    const qkvTensor = tf.tidy(() => {
      const xn = this.context.rmsNorm(x, this.inputNorm);
      capture?.(QKV, xn);
      // q, k and v in one matmul; RoPE and the head split happen on the host (see attendCausal).
      const y = tf.matMul(xn, qkvWeight.weight);
      return qkvWeight.bias ? tf.add(y, qkvWeight.bias) : y;
    });
    const qkv = qkvTensor.dataSync() as Float32Array;
    qkvTensor.dispose();
    const qWidth = nH * hd;
    const kvWidth = nKV * hd;
    const width = qWidth + 2 * kvWidth;
    const q = new Float32Array(tokens * qWidth);
    const k = new Float32Array(tokens * kvWidth);
    const v = new Float32Array(tokens * kvWidth);
    for (let r = 0; r < tokens; r++) {
      const row = r * width;
      q.set(qkv.subarray(row, row + qWidth), r * qWidth);
      k.set(qkv.subarray(row + qWidth, row + qWidth + kvWidth), r * kvWidth);
      v.set(qkv.subarray(row + qWidth + kvWidth, row + width), r * kvWidth);
    }
    const { cos, sin } = this.context.rope(seqLen);
    applyRopeInPlace(q, nH, hd, seqLen, cos, sin);
    applyRopeInPlace(k, nKV, hd, seqLen, cos, sin);
    const attnRows = attendCausal(q, k, v, { batch, seqLen, numHeads: nH, numKvHeads: nKV, headDim: hd }, this.context.attentionScale, (qs, qe, keys, group) =>
      this.context.mask(qs, qe, keys, group),
    );
    const x2 = tf.tidy(() => {
      const attn = tf.tensor2d(attnRows, [tokens, qWidth]);
      capture?.(O, attn);
      return tf.add(x, linear(attn, 'o_proj')) as tf.Tensor2D;
    });
    return tf.tidy(() => {
      const xn2 = this.context.rmsNorm(x2, this.postNorm);
      capture?.(GATE_UP, xn2);
      const h = tf.tidy(() => tf.mul(this.context.activation(linear(xn2, 'gate_proj')), linear(xn2, 'up_proj')) as tf.Tensor2D);
      capture?.(DOWN, h);
      return tf.add(x2, linear(h, 'down_proj')) as tf.Tensor2D;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.transposed.values()) t.dispose();
    this.disposeQkv();
    for (const t of this.biases.values()) t.dispose();
    this.inputNorm?.dispose();
    this.postNorm?.dispose();
    this.transposed.clear();
    this.linears.clear();
  }
}
