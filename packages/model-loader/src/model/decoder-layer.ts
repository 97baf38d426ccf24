import {
  DeviceLimitError,
  layerExecution,
  matmulWeightsRowMajor,
  maxTensorBytes,
  tf,
  wasmHeapView,
  wasmReleasePackedWeight,
  wasmTensorFilled,
} from '@dass/tensor-backend';
import { ModelLoadError } from '../errors.js';
import { DECODER_LINEARS, linearTensorName } from '../types.js';
import type { HostTensor, LinearName, ModelConfig, WeightSource } from '../types.js';
import { applyRopeInPlace, attendCausal } from './attention.js';
import type { InputStatsAccumulator } from './input-stats.js';
import { DEVICE_SCORES_BYTES, attendCausalDevice } from './device-attention.js';
import { DeviceHidden } from './device-hidden.js';
import type { LayerContext } from './layer-context.js';
import { InvalidArgumentError } from '@dass/errors';

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
  /**
   * Keep the post-attention residual x + o_proj(attention) of these samples in the layer, so a later
   * `forwardFromResidual` can redo only the MLP (after MLP weights changed). Attention weight changes discard it.
   */
  keepResidual?: boolean;
  /**
   * Only the captures are wanted (a statistics pass whose output is thrown away): down_proj's matmul is skipped and
   * `forward` returns an empty array.
   */
  skipOutput?: boolean;
}

/** `DecoderLayer.run`: a forward that may run on the model's worker threads, gathering input statistics. */
export interface LayerRunOptions {
  /** Accumulates the requested linears' input statistics over every sample. */
  stats?: InputStatsAccumulator;
  /** Token budget of one tfjs pass (default 4096). */
  maxTokensPerPass?: number;
  keepResidual?: boolean;
  skipOutput?: boolean;
  /** Recompute only the MLP from the residual kept by an earlier `keepResidual` run over the same samples. */
  fromResidual?: boolean;
}

const ATTENTION: readonly LinearName[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
let nextUid = 1;

/** A copy of `data` in shared memory (worker threads read it without a copy), or `data` itself if already shared. */
function shared(data: Float32Array): Float32Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const out = new Float32Array(new SharedArrayBuffer(data.byteLength));
  out.set(data);
  return out;
}

/**
 * Samples of `seqLen` tokens per pass through a layer: `samplesPerPass` if given, else as many as fit
 * `maxTokensPerPass` (default 4096) and — on a backend with a buffer cap (WebGPU's maxStorageBufferBindingSize /
 * maxBufferSize, see `maxTensorBytes`) — as many whose widest activation ([tokens, max(q/k/v width, MLP width)] float32)
 * fits one buffer. At least 1; a single sample that cannot fit is an error naming the limit.
 */
export function samplesPerPass(config: ModelConfig, seqLen: number, options: Pick<LayerForwardOptions, 'samplesPerPass' | 'maxTokensPerPass'> = {}): number {
  if (options.samplesPerPass !== undefined) return options.samplesPerPass;
  const byBudget = Math.max(1, Math.floor((options.maxTokensPerPass ?? 4096) / seqLen));
  const cap = maxTensorBytes();
  if (cap === Infinity) return byBudget;
  const width = Math.max(config.hiddenSize, (config.numHeads + 2 * config.numKvHeads) * config.headDim, config.intermediateSize);
  const perSample = 4 * seqLen * width;
  if (perSample > cap) {
    throw new DeviceLimitError(
      `seqlen ${seqLen}: one sample's [${seqLen}, ${width}] float32 activations (${perSample} bytes) exceed the GPU adapter's largest buffer (maxStorageBufferBindingSize/maxBufferSize = ${cap} bytes); use a shorter seqlen`,
    );
  }
  return Math.max(1, Math.min(byBudget, Math.floor(cap / perSample)));
}

const QKV: readonly LinearName[] = ['q_proj', 'k_proj', 'v_proj'];
const O: readonly LinearName[] = ['o_proj'];
const GATE_UP: readonly LinearName[] = ['gate_proj', 'up_proj'];
const DOWN: readonly LinearName[] = ['down_proj'];

/**
 * Host buffer the transposes are built in before upload. On the wasm backend `tf.tensor` copies the values into the
 * wasm heap at once, so one buffer (the largest matrix so far) serves every upload of this thread, instead of a new
 * layer-sized array of garbage per layer. Other backends may keep a reference to the values: they get fresh arrays.
 */
let uploadScratch: Float32Array | undefined;

function uploadBuffer(length: number): Float32Array {
  if (tf.getBackend() !== 'wasm') return new Float32Array(length);
  if (!uploadScratch || uploadScratch.length < length) uploadScratch = new Float32Array(length);
  return uploadScratch.subarray(0, length);
}

/**
 * Matrices [out_k, in] with the same input width uploaded as the transpose of their stack along `out`: [in, Σ out_k].
 * One matmul then computes all of them (q/k/v share their input); its output columns are the matrices' outputs side
 * by side. The transpose happens on the host (in cache-sized tiles): transposing on tfjs would hold both layouts in
 * the wasm heap at once, and that heap never shrinks.
 */
function uploadStackedTransposed(ws: readonly HostTensor[]): tf.Tensor2D {
  const cols = ws[0]!.shape[1]!;
  let total = 0;
  for (const w of ws) total += w.shape[0]!;
  // Row-major only when the weight's products go to the native GEMM (k·n large enough; small ones stay on XNNPACK's layout).
  if (matmulWeightsRowMajor(cols * total)) return uploadStackedRows(ws, cols, total);
  // On wasm the transpose is written straight into the tensor's heap memory (no staging copy).
  const direct = wasmTensorFilled<tf.Rank.R2>([cols, total], (values) => transposeStackedInto(values, ws, cols, total));
  if (direct) return direct;
  const out = uploadBuffer(cols * total);
  transposeStackedInto(out, ws, cols, total);
  return tf.tensor2d(out, [cols, total]);
}

/** Device weights stored as the stack [Σ out_k, in] itself (no transpose), multiplied as `x · Wᵀ` (transposeB). */
const rowMajor = new WeakSet<tf.Tensor>();

/**
 * The stack of `ws` along `out` as it is, [Σ out_k, cols] (row copies straight into the heap): when the native GEMM
 * routes products (`matmulWeightsRowMajor`), which multiplies by it with transposeB at full speed.
 */
function uploadStackedRows(ws: readonly HostTensor[], cols: number, total: number): tf.Tensor2D {
  const fill = (values: Float32Array) => {
    let offset = 0;
    for (const w of ws) {
      values.set(w.data.subarray(0, w.shape[0]! * cols), offset);
      offset += w.shape[0]! * cols;
    }
  };
  const t = wasmTensorFilled<tf.Rank.R2>([total, cols], fill)!;
  rowMajor.add(t);
  return t;
}

/** Writes the transpose of the stack of `ws` ([out_k, cols] each) into `out` ([cols, total]), in cache-sized tiles. */
function transposeStackedInto(out: Float32Array, ws: readonly HostTensor[], cols: number, total: number): void {
  const tile = 64;
  let offset = 0;
  for (const w of ws) {
    const rows = w.shape[0]!;
    const src = w.data;
    for (let r0 = 0; r0 < rows; r0 += tile) {
      const r1 = Math.min(rows, r0 + tile);
      for (let c0 = 0; c0 < cols; c0 += tile) {
        const c1 = Math.min(cols, c0 + tile);
        for (let r = r0; r < r1; r++) {
          const base = r * cols;
          const at = offset + r;
          for (let c = c0; c < c1; c++) out[c * total + at] = src[base + c]!;
        }
      }
    }
    offset += rows;
  }
}

/**
 * A float32 tensor's values on the host: on wasm a view of its heap memory (no copy; read it before the next tfjs
 * op), elsewhere `dataSync`'s copy.
 */
export function hostValues(t: tf.Tensor): Float32Array {
  return wasmHeapView(t) ?? (t.dataSync() as Float32Array);
}

/** Device weights whose own heap copy was freed after XNNPACK packed them (`wasmReleasePackedWeight`). */
const packedOnly = new WeakSet<tf.Tensor>();

/**
 * `x · w` for a resident device weight `w`; on wasm, frees `w`'s own heap copy after the first product (XNNPACK keeps
 * its packed copy for every later one), so `w` must only ever be used here.
 */
function matMulPacking(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (rowMajor.has(w)) return tf.matMul(x, w, false, true) as tf.Tensor2D; // kept: the native GEMM reads it each time
  const y = tf.matMul(x, w) as tf.Tensor2D;
  if (!packedOnly.has(w)) {
    packedOnly.add(w);
    wasmReleasePackedWeight(w);
  }
  return y;
}

/** Upload a [out, in] host matrix as its transpose [in, out], so every matmul runs without a transpose flag. */
function uploadTransposed(w: HostTensor): tf.Tensor2D {
  return uploadStackedTransposed([w]);
}

/** A layer whose largest device matrix exceeds the backend's buffer cap cannot run: say which and which limit. */
function checkWeightsFit(config: ModelConfig, index: number): void {
  const cap = maxTensorBytes();
  if (cap === Infinity) return;
  const d = config.hiddenSize;
  const matrices: [string, number, number][] = [
    ['q/k/v (stacked)', d, (config.numHeads + 2 * config.numKvHeads) * config.headDim],
    ['o_proj', config.numHeads * config.headDim, d],
    ['gate_proj', d, config.intermediateSize],
    ['up_proj', d, config.intermediateSize],
    ['down_proj', config.intermediateSize, d],
  ];
  for (const [name, rows, cols] of matrices) {
    const bytes = 4 * rows * cols;
    if (bytes > cap) {
      throw new DeviceLimitError(
        `layer ${index} ${name}: its [${rows}, ${cols}] float32 weight (${bytes} bytes) exceeds the GPU adapter's largest buffer (maxStorageBufferBindingSize/maxBufferSize = ${cap} bytes); this model cannot run on this adapter`,
      );
    }
  }
}

/**
 * One decoder layer, resident on its own: host copies of its seven linear weights (for pruning) and the tfjs tensors
 * the forward pass uses. Load, run over many samples, optionally replace weights, dispose.
 */
export class DecoderLayer {
  /** Identifies this loaded instance to the worker pool. */
  readonly uid = nextUid++;
  private readonly linears = new Map<LinearName, HostTensor>();
  /** The norms and biases as read (before `1 + w`), for the worker threads. */
  private readonly small = new Map<string, HostTensor>();
  /** Linears changed since the worker threads last received them. */
  private readonly dirty = new Set<LinearName>();
  /** Linears whose shared host copy this layer allocated (not the source's): `setLinearWeight` may overwrite it. */
  private readonly owned = new Set<LinearName>();
  /** Post-attention residual of the last `keepResidual` forward: [batch, seqLen, hidden]. */
  private residual?: { data?: Float32Array; batch: number; seqLen: number };
  private readonly transposed = new Map<LinearName, tf.Tensor2D>();
  private readonly biases = new Map<LinearName, tf.Tensor1D>();
  /** q/k/v stacked ([in, (numHeads + 2·numKvHeads)·headDim]) and their biases; rebuilt after a q/k/v change. */
  private qkv?: { weight: tf.Tensor2D; bias?: tf.Tensor1D };
  private inputNorm!: tf.Tensor1D;
  private postNorm!: tf.Tensor1D;
  private disposed = false;
  /** Where this layer's steps run: fixed at load from `layerExecution()` (the one place that decides it). */
  private readonly execution = layerExecution();

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
    checkWeightsFit(config, index);
    const layer = new DecoderLayer(index, config, context);
    const prefix = `model.layers.${index}.`;
    const readNorm = async (name: string) => {
      const t = await source.readF32(prefix + name);
      layer.small.set(prefix + name, t);
      const data = config.rmsNormAddOne ? t.data.map((v) => 1 + v) : t.data;
      return tf.tensor1d(data);
    };
    try {
      layer.inputNorm = await readNorm('input_layernorm.weight');
      layer.postNorm = await readNorm('post_attention_layernorm.weight');
      for (const name of DECODER_LINEARS) {
        const tensorName = linearTensorName(index, name);
        if (context.pool && source.readF32Shared) {
          // With worker threads the host copies live in shared memory (the workers upload them without a copy);
          // read straight into it, and the layer owns it (a pruned weight is written back into it).
          layer.linears.set(name, await source.readF32Shared(tensorName));
          layer.owned.add(name);
          continue;
        }
        const tensor = await source.readF32(tensorName);
        if (!context.pool) {
          layer.linears.set(name, tensor);
          continue;
        }
        const data = shared(tensor.data);
        layer.linears.set(name, { shape: tensor.shape, data });
        if (data !== tensor.data) layer.owned.add(name);
      }
      if (config.attentionBias) {
        for (const name of QKV) {
          const biasName = `${prefix}self_attn.${name}.bias`;
          if (!source.has(biasName)) throw new ModelLoadError(source.path, 'MISSING_TENSOR', `${biasName} is missing (the config says q/k/v have biases)`);
          const bias = await source.readF32(biasName);
          layer.small.set(biasName, bias);
          layer.biases.set(name, tf.tensor1d(bias.data));
        }
      }
    } catch (err) {
      layer.dispose();
      throw err;
    }
    return layer;
  }

  /**
   * Host copy of a linear's weight, [out, in]. Mutating it changes nothing until `setLinearWeight`, which may write
   * the new values into this same array (with worker threads, into the layer's own shared copy): copy it first to
   * keep the old values.
   */
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
    if (this.context.pool && this.owned.has(name)) {
      // Into the layer's own shared copy: its pages are resident already (a fresh copy would fault every page in).
      if (data !== old.data) old.data.set(data);
    } else {
      const copy = this.context.pool ? shared(data) : data;
      if (copy !== data) this.owned.add(name);
      else this.owned.delete(name);
      this.linears.set(name, { shape: old.shape, data: copy });
    }
    this.dirty.add(name);
    // The kept residual is the attention block's output: an attention weight change makes it stale.
    if (ATTENTION.includes(name)) this.residual = undefined;
    if (QKV.includes(name)) {
      this.disposeQkv();
      return;
    }
    // Uploaded again (transposed) on the next in-process forward; never when worker threads run the passes.
    this.transposed.get(name)?.dispose();
    this.transposed.delete(name);
  }

  /** Every host tensor the layer was built from (shared memory when worker threads run it), by checkpoint name. */
  hostTensors(): [string, HostTensor][] {
    const out: [string, HostTensor][] = [...this.small];
    for (const [name, t] of this.linears) out.push([linearTensorName(this.index, name), t]);
    return out;
  }

  /** The linears changed since the last call (the worker pool sends them to its threads). */
  takeDirty(): [LinearName, Float32Array][] {
    const out: [LinearName, Float32Array][] = [...this.dirty].map((n) => [n, this.linears.get(n)!.data]);
    this.dirty.clear();
    return out;
  }

  /** Whether a `keepResidual` forward over `batch × seqLen` samples left a residual that is still valid. */
  hasResidual(batch: number, seqLen: number): boolean {
    return this.residual !== undefined && this.residual.batch === batch && this.residual.seqLen === seqLen;
  }

  /** Forgets the kept residual (frees its memory). */
  dropResidual(): void {
    this.residual = undefined;
  }

  /**
   * Runs the layer (see `forward`), on the model's worker threads when it has them (samples split between them,
   * statistics merged), else in this thread. `fromResidual` recomputes only the MLP from the kept residual.
   * Returns the new hidden states [batch, seqLen, hidden] (empty with `skipOutput`).
   */
  async run(hidden: Float32Array | undefined, batch: number, seqLen: number, options: LayerRunOptions = {}): Promise<Float32Array> {
    if (this.disposed) throw new Error(`decoder layer ${this.index} was disposed`);
    if (options.fromResidual && !this.hasResidual(batch, seqLen)) {
      throw new Error(
        `decoder layer ${this.index}: no kept residual for ${batch}×${seqLen} samples (run with keepResidual first; attention weight changes discard it)`,
      );
    }
    const pool = this.context.pool;
    if (pool) {
      const result = await pool.run(this, hidden, batch, seqLen, {
        stats: options.stats?.request,
        maxTokensPerPass: options.maxTokensPerPass,
        keepResidual: options.keepResidual,
        skipOutput: options.skipOutput,
        fromResidual: options.fromResidual,
      });
      if (result.stats) options.stats!.add(result.stats);
      if (options.keepResidual) this.residual = { batch, seqLen };
      if (options.fromResidual) this.residual = undefined;
      return result.output;
    }
    const forwardOptions: LayerForwardOptions = {
      capture: options.stats?.capture,
      maxTokensPerPass: options.maxTokensPerPass,
      keepResidual: options.keepResidual,
      skipOutput: options.skipOutput,
    };
    const out = options.fromResidual ? this.forwardFromResidual(batch, seqLen, forwardOptions) : this.forward(hidden!, batch, seqLen, forwardOptions);
    if (options.stats) options.stats.tokens += batch * seqLen;
    return out;
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
      throw new InvalidArgumentError('hidden', `expected ${batch}×${seqLen}×${d} = ${batch * seqLen * d} values, got ${hidden.length}`);
    }
    if (tf.getBackend() === 'webgpu') throw new Error('DecoderLayer.forward reads synchronously, which the webgpu backend cannot: use forwardDevice');
    const perPass = samplesPerPass(this.config, seqLen, options);
    const out = new Float32Array(options.skipOutput ? 0 : hidden.length);
    const residual = options.keepResidual ? new Float32Array(hidden.length) : undefined;
    this.residual = undefined;
    for (let start = 0; start < batch; start += perPass) {
      const n = Math.min(perPass, batch - start);
      const slice = hidden.subarray(start * seqLen * d, (start + n) * seqLen * d);
      const result = tf.tidy(() => this.forwardPass(tf.tensor2d(slice, [n * seqLen, d]), n, seqLen, options, residual?.subarray(start * seqLen * d)));
      if (result) {
        out.set(hostValues(result), start * seqLen * d);
        result.dispose();
      }
    }
    if (residual) this.residual = { data: residual, batch, seqLen };
    return out;
  }

  /**
   * The MLP half of `forward` from the residual kept by a `keepResidual` forward over the same samples:
   * x2 + down(act(gate(norm(x2))) · up(norm(x2))). Bit-identical to a full forward when only MLP weights changed
   * since (the attention half would recompute the same x2). Frees the residual.
   */
  forwardFromResidual(batch: number, seqLen: number, options: LayerForwardOptions = {}): Float32Array {
    if (this.disposed) throw new Error(`decoder layer ${this.index} was disposed`);
    const kept = this.residual;
    if (!kept?.data || kept.batch !== batch || kept.seqLen !== seqLen) {
      throw new Error(
        `decoder layer ${this.index}: no kept residual for ${batch}×${seqLen} samples (forward with keepResidual first; attention weight changes discard it)`,
      );
    }
    const d = this.config.hiddenSize;
    const x2all = kept.data;
    const perPass = options.samplesPerPass ?? Math.max(1, Math.floor((options.maxTokensPerPass ?? 4096) / seqLen));
    const out = new Float32Array(x2all.length);
    for (let start = 0; start < batch; start += perPass) {
      const n = Math.min(perPass, batch - start);
      const slice = x2all.subarray(start * seqLen * d, (start + n) * seqLen * d);
      const result = tf.tidy(() => this.mlp(tf.tensor2d(slice, [n * seqLen, d]), options))!;
      out.set(hostValues(result), start * seqLen * d);
      result.dispose();
    }
    this.residual = undefined;
    return out;
  }

  /**
   * `input · Wᵀ` for a linear but q/k/v, uploading its transpose on first use (at first forward, and after a change;
   * a pass that never multiplies by one — the dense statistics pass skips down_proj — never builds it).
   * On wasm the uploaded copy's heap memory is freed after the first product: XNNPACK packed it (see
   * `wasmReleasePackedWeight`), so a resident layer holds one device copy of each weight instead of two.
   */
  private linear(input: tf.Tensor2D, name: LinearName): tf.Tensor2D {
    let weight = this.transposed.get(name);
    if (!weight) {
      weight = tf.keep(uploadTransposed(this.linears.get(name)!));
      this.transposed.set(name, weight);
    }
    return matMulPacking(input, weight);
  }

  /**
   * Runs the layer over hidden states that stay on the device (`layerExecution()` = `device`): returns new states in
   * the same chunks; nothing is read back to the host (the capture callback may accumulate on the device). The caller
   * keeps ownership of `hidden`.
   */
  forwardDevice(hidden: DeviceHidden, options: Pick<LayerForwardOptions, 'capture'> = {}): DeviceHidden {
    if (this.disposed) throw new Error(`decoder layer ${this.index} was disposed`);
    if (hidden.hiddenSize !== this.config.hiddenSize)
      throw new InvalidArgumentError('hidden', `expected width ${this.config.hiddenSize}, got ${hidden.hiddenSize}`);
    const out: tf.Tensor2D[] = [];
    try {
      for (let i = 0; i < hidden.chunks.length; i++) {
        const x = hidden.chunks[i]!;
        out.push(tf.tidy(() => this.forwardPass(x, hidden.samples[i]!, hidden.seqLen, { capture: options.capture })!));
      }
    } catch (err) {
      for (const t of out) t.dispose();
      throw err;
    }
    return new DeviceHidden(out, hidden.samples, hidden.seqLen, hidden.hiddenSize);
  }

  /**
   * Runs the layer over device hidden states only for what `capture` sees (a dense statistics pass): each pass's
   * output is freed as soon as it is computed, so at most one pass's output exists besides `hidden`.
   */
  captureDevice(hidden: DeviceHidden, capture: LinearInputCapture): void {
    if (this.disposed) throw new Error(`decoder layer ${this.index} was disposed`);
    if (hidden.hiddenSize !== this.config.hiddenSize)
      throw new InvalidArgumentError('hidden', `expected width ${this.config.hiddenSize}, got ${hidden.hiddenSize}`);
    for (let i = 0; i < hidden.chunks.length; i++) {
      const x = hidden.chunks[i]!;
      // skipOutput: down_proj's product is not needed, only what the capture sees.
      tf.tidy(() => this.forwardPass(x, hidden.samples[i]!, hidden.seqLen, { capture, skipOutput: true }))?.dispose();
    }
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

  private forwardPass(x: tf.Tensor2D, batch: number, seqLen: number, options: LayerForwardOptions, residualOut?: Float32Array): tf.Tensor2D | undefined {
    const capture = options.capture;
    const c = this.config;
    const nH = c.numHeads;
    const nKV = c.numKvHeads;
    const hd = c.headDim;
    const tokens = batch * seqLen;
    const linear = (input: tf.Tensor2D, name: LinearName): tf.Tensor2D => this.linear(input, name);

    // Nested tidies free each stage's temporaries as soon as it is done: the wasm heap keeps its high-water mark.
    const qkvWeight = this.stackedQkv();
    const qkvTensor = tf.tidy(() => {
      const xn = this.context.rmsNorm(x, this.inputNorm);
      capture?.(QKV, xn);
      // q, k and v in one matmul; RoPE, the head split and attention follow on the device or the host.
      const y = matMulPacking(xn, qkvWeight.weight);
      return (qkvWeight.bias ? tf.add(y, qkvWeight.bias) : y) as tf.Tensor2D;
    });
    const qWidth = nH * hd;
    const shape = { batch, seqLen, numHeads: nH, numKvHeads: nKV, headDim: hd };
    const mask = (qs: number, qe: number, keys: number, group: number) => this.context.mask(qs, qe, keys, group);
    let attn: tf.Tensor2D;
    if (this.execution === 'device') {
      const scoresBytes = Math.min(DEVICE_SCORES_BYTES, maxTensorBytes());
      attn = attendCausalDevice(qkvTensor, shape, this.context.attentionScale, mask, this.context.ropeTensors(seqLen), scoresBytes);
      qkvTensor.dispose();
    } else {
      attn = tf.tensor2d(this.attendOnHost(qkvTensor, shape), [tokens, qWidth]);
    }
    const x2 = tf.tidy(() => {
      capture?.(O, attn);
      return tf.add(x, linear(attn, 'o_proj')) as tf.Tensor2D;
    });
    if (residualOut) residualOut.set(hostValues(x2));
    return this.mlp(x2, options);
  }

  /**
   * The wasm path (`host-assisted`): q/k/v come to the host, RoPE and the head split run there and attention goes
   * as a few 2-D matmuls per (sample, KV head) (see attendCausal for why). Disposes `qkvTensor`.
   */
  private attendOnHost(qkvTensor: tf.Tensor2D, shape: { batch: number; seqLen: number; numHeads: number; numKvHeads: number; headDim: number }): Float32Array {
    const { batch, seqLen, numHeads: nH, numKvHeads: nKV, headDim: hd } = shape;
    const tokens = batch * seqLen;
    // Read in place (the view is only valid until the next tfjs op: the split below runs none).
    const qkv = hostValues(qkvTensor);
    const qWidth = nH * hd;
    const kvWidth = nKV * hd;
    const width = qWidth + 2 * kvWidth;
    // Scratch reused across passes: fresh arrays would be first-touched (page-faulted) again on every pass.
    const q = this.context.scratch('q', tokens * qWidth);
    const k = this.context.scratch('k', tokens * kvWidth);
    const v = this.context.scratch('v', tokens * kvWidth);
    for (let r = 0; r < tokens; r++) {
      const row = r * width;
      q.set(qkv.subarray(row, row + qWidth), r * qWidth);
      k.set(qkv.subarray(row + qWidth, row + qWidth + kvWidth), r * kvWidth);
      v.set(qkv.subarray(row + qWidth + kvWidth, row + width), r * kvWidth);
    }
    qkvTensor.dispose();
    const { cos, sin } = this.context.rope(seqLen);
    applyRopeInPlace(q, nH, hd, seqLen, cos, sin);
    applyRopeInPlace(k, nKV, hd, seqLen, cos, sin);
    // tf.tensor2d copies host values into the wasm heap at once; other backends may keep a reference: fresh there.
    const out = tf.getBackend() === 'wasm' ? this.context.scratch('attention', tokens * qWidth) : undefined;
    return attendCausal(q, k, v, shape, this.context.attentionScale, (qs, qe, keys, group) => this.context.mask(qs, qe, keys, group), out);
  }

  /** x2 + down(act(gate(norm(x2))) · up(norm(x2))); without `skipOutput`'s down_proj when only captures are wanted. */
  private mlp(x2: tf.Tensor2D, options: LayerForwardOptions): tf.Tensor2D | undefined {
    const capture = options.capture;
    const linear = (input: tf.Tensor2D, name: LinearName): tf.Tensor2D => this.linear(input, name);
    return tf.tidy(() => {
      const xn2 = this.context.rmsNorm(x2, this.postNorm);
      capture?.(GATE_UP, xn2);
      const h = tf.tidy(() => tf.mul(this.context.activation(linear(xn2, 'gate_proj')), linear(xn2, 'up_proj')) as tf.Tensor2D);
      capture?.(DOWN, h);
      if (options.skipOutput) return undefined;
      return tf.add(x2, linear(h, 'down_proj')) as tf.Tensor2D;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.pool?.release(this.uid);
    this.residual = undefined;
    for (const t of this.transposed.values()) t.dispose();
    this.disposeQkv();
    for (const t of this.biases.values()) t.dispose();
    this.inputNorm?.dispose();
    this.postNorm?.dispose();
    this.transposed.clear();
    this.linears.clear();
  }
}
