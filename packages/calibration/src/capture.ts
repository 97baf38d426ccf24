import { maxTensorBytes, tf } from '@dass/tensor-backend';
import { DECODER_LINEARS, InputStatsAccumulator, MLP_LINEARS } from '@dass/model-loader';
import type { CausalLM, DecoderLayer, DeviceHidden, LinearInputCapture, LinearName } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

/** What the calibration activations entering one layer's target linears tell a pruning method. */
export interface LayerStats {
  /** s_j = Σ_tokens X_tj² for each target linear's input columns (float64 accumulation). */
  inputSumSq: Map<LinearName, Float64Array>;
  /** XᵀX (in × in, row-major, float64 accumulation) for the linears it was requested for. */
  gram: Map<LinearName, Float64Array>;
  /** Tokens the statistics were accumulated over. */
  tokens: number;
}

export interface CaptureProgress {
  stage: 'embed' | 'dense' | 'pruned';
  /** 0-based layer index (for 'embed': -1). */
  layer: number;
  layers: number;
}

export interface LayerCallbackContext {
  index: number;
  /** The resident layer: read weights with `linearWeight`, replace them with `setLinearWeight`. */
  layer: DecoderLayer;
  stats: LayerStats;
}

export interface LayerSequentialOptions {
  model: CausalLM;
  /** Calibration ids, [nsamples, seqlen] row-major. */
  inputIds: Int32Array;
  nsamples: number;
  seqlen: number;
  /** The linears whose input statistics are gathered (the pruning targets). */
  targets: readonly LinearName[];
  /** Gather XᵀX too (SparseGPT): for every target, or per linear. */
  gram?: boolean | ((linear: LinearName) => boolean);
  /** Layers to process (default: all). Later layers are not run. */
  layers?: number;
  /** Prunes (or inspects) a layer after its dense pass; its weight changes feed the pruned pass. */
  onLayer: (context: LayerCallbackContext) => void | Promise<void>;
  /** After the pruned pass, before the layer is released: e.g. write its weights out. */
  afterLayer?: (context: LayerCallbackContext) => void | Promise<void>;
  onProgress?: (progress: CaptureProgress) => void;
  /** Token budget of one tfjs pass (default 4096). */
  maxTokensPerPass?: number;
  /**
   * When every target is an MLP linear, keep the dense pass's post-attention residual and let the pruned pass
   * recompute only the MLP (default true). Exact: attention weights are unchanged, so the attention half would
   * recompute the same residual; if `onLayer` changes an attention weight anyway, the full pass runs.
   */
  reuseAttention?: boolean;
}

function validate(options: LayerSequentialOptions): void {
  const { inputIds, nsamples, seqlen, targets, model } = options;
  if (!Number.isInteger(nsamples) || nsamples < 1) throw new InvalidArgumentError('nsamples', `expected a positive integer, got ${nsamples}`);
  if (!Number.isInteger(seqlen) || seqlen < 1) throw new InvalidArgumentError('seqlen', `expected a positive integer, got ${seqlen}`);
  if (inputIds.length !== nsamples * seqlen) {
    throw new InvalidArgumentError('inputIds', `expected nsamples×seqlen = ${nsamples}×${seqlen} = ${nsamples * seqlen} ids, got ${inputIds.length}`);
  }
  for (const t of targets) {
    if (!(DECODER_LINEARS as readonly string[]).includes(t))
      throw new InvalidArgumentError('targets', `unknown linear ${JSON.stringify(t)}; expected ${DECODER_LINEARS.join(', ')}`);
  }
  if (options.layers !== undefined && (!Number.isInteger(options.layers) || options.layers < 0 || options.layers > model.config.numLayers)) {
    throw new InvalidArgumentError('layers', `expected an integer in [0, ${model.config.numLayers}], got ${options.layers}`);
  }
}

/**
 * Statistics accumulated on the device (`layerExecution()` = `device`): per group of linears sharing an input, Σx²
 * per column ([cols]) and, where wanted, XᵀX in column blocks ([cols, blockCols], each fitting one device buffer:
 * XᵀX[:, c0:c1] = Xᵀ·X[:, c0:c1]). Accumulated in float32 on the device; `readInto` reads each accumulator once and
 * adds it to the float64 host statistics.
 */
export class DeviceLayerStats {
  private readonly groups = new Map<string, { linears: LinearName[]; sumSq?: tf.Tensor1D; gram?: (tf.Tensor2D | undefined)[]; blockCols: number }>();

  constructor(private readonly stats: LayerStats) {}

  readonly capture: LinearInputCapture = (linears, input) => {
    const wanted = linears.filter((l) => this.stats.inputSumSq.has(l));
    if (wanted.length === 0) return;
    const key = wanted.join(',');
    const cols = input.shape[1];
    let group = this.groups.get(key);
    if (!group) {
      const needGram = wanted.some((l) => this.stats.gram.has(l));
      const cap = maxTensorBytes();
      const blockCols = cap === Infinity ? cols : Math.max(1, Math.min(cols, Math.floor(cap / (4 * cols))));
      group = { linears: wanted, blockCols, gram: needGram ? new Array(Math.ceil(cols / blockCols)).fill(undefined) : undefined };
      this.groups.set(key, group);
    }
    const accumulate = <T extends tf.Tensor>(old: T | undefined, add: T): T => {
      if (!old) return tf.keep(add);
      const sum = tf.keep(tf.add(old, add)) as T;
      old.dispose();
      return sum;
    };
    group.sumSq = accumulate(group.sumSq, tf.sum(tf.square(input), 0) as tf.Tensor1D);
    if (group.gram) {
      for (let b = 0; b < group.gram.length; b++) {
        const c0 = b * group.blockCols;
        const width = Math.min(group.blockCols, cols - c0);
        const block = group.gram.length === 1 ? input : tf.slice(input, [0, c0], [-1, width]);
        group.gram[b] = accumulate(group.gram[b], tf.matMul(input, block, true, false) as tf.Tensor2D);
      }
    }
  };

  /** Reads the accumulators (one read per Σx² vector and per XᵀX block) into the host statistics. */
  async readInto(): Promise<void> {
    for (const group of this.groups.values()) {
      const sumSq = group.sumSq ? ((await group.sumSq.data()) as Float32Array) : undefined;
      for (const l of group.linears) {
        const acc = this.stats.inputSumSq.get(l)!;
        if (sumSq) for (let i = 0; i < acc.length; i++) acc[i] += sumSq[i]!;
      }
      if (!group.gram) continue;
      const cols = group.sumSq?.shape[0] ?? 0;
      for (let b = 0; b < group.gram.length; b++) {
        const block = group.gram[b];
        if (!block) continue;
        const values = (await block.data()) as Float32Array;
        const c0 = b * group.blockCols;
        const width = block.shape[1];
        for (const l of group.linears) {
          const acc = this.stats.gram.get(l);
          if (!acc) continue;
          for (let i = 0; i < cols; i++) {
            for (let j = 0; j < width; j++) acc[i * cols + c0 + j] += values[i * width + j]!;
          }
        }
      }
    }
  }

  dispose(): void {
    for (const group of this.groups.values()) {
      group.sumSq?.dispose();
      for (const g of group.gram ?? []) g?.dispose();
    }
    this.groups.clear();
  }
}

/**
 * The layer-sequential loop on the device (`model.execution` = `device`): hidden states stay on the device from the
 * embedding to the last layer; per layer the host reads only the accumulated statistics (pruned weights are the
 * layer's host copies already).
 */
async function runLayerSequentialDevice(options: LayerSequentialOptions, layers: number, wantsGram: (l: LinearName) => boolean): Promise<Float32Array> {
  const { model, inputIds, nsamples, seqlen, targets, onProgress } = options;
  onProgress?.({ stage: 'embed', layer: -1, layers });
  let hidden: DeviceHidden = await model.embedDevice(inputIds, nsamples, seqlen, options.maxTokensPerPass);
  try {
    for (let index = 0; index < layers; index++) {
      const layer = await model.loadLayer(index);
      const stats: LayerStats = { inputSumSq: new Map(), gram: new Map(), tokens: 0 };
      const device = new DeviceLayerStats(stats);
      try {
        for (const t of targets) {
          const cols = layer.linearWeight(t).shape[1]!;
          stats.inputSumSq.set(t, new Float64Array(cols));
          if (wantsGram(t)) stats.gram.set(t, new Float64Array(cols * cols));
        }
        layer.captureDevice(hidden, device.capture);
        await device.readInto();
        device.dispose();
        stats.tokens = nsamples * seqlen;
        onProgress?.({ stage: 'dense', layer: index, layers });
        const context: LayerCallbackContext = { index, layer, stats };
        await options.onLayer(context);
        const next = layer.forwardDevice(hidden);
        hidden.dispose();
        hidden = next;
        onProgress?.({ stage: 'pruned', layer: index, layers });
        await options.afterLayer?.(context);
      } finally {
        device.dispose();
        layer.dispose();
      }
    }
    return await hidden.read();
  } finally {
    hidden.dispose();
  }
}

/**
 * The layer-sequential loop of docs/SPEC.md §3: embed every sample once (host memory), then per decoder layer: load it alone,
 * run it dense over all samples while accumulating each target's input statistics, hand it to `onLayer` (prune),
 * run it again (now pruned) to produce the next layer's inputs, call `afterLayer`, release it. With MLP-only targets
 * the second run redoes only the MLP from the kept post-attention residual (`reuseAttention`). When the model has
 * worker threads (`CausalLM.fromSource(source, { threads })`) both runs split the samples between them and the
 * statistics are merged (sums, so only the float summation order changes).
 * Only one layer's weights are resident at a time. Returns the final hidden states. On device backends
 * (`model.execution`) the hidden states stay on the device and the statistics accumulate there (float32).
 */
export async function runLayerSequential(options: LayerSequentialOptions): Promise<Float32Array> {
  validate(options);
  const { model, inputIds, nsamples, seqlen, targets, onProgress } = options;
  const layers = options.layers ?? model.config.numLayers;
  const wantsGram = (linear: LinearName) => (typeof options.gram === 'function' ? options.gram(linear) : options.gram === true);
  const forwardOptions = { maxTokensPerPass: options.maxTokensPerPass };
  if (model.execution === 'device') return runLayerSequentialDevice(options, layers, wantsGram);

  const mlpOnly = targets.every((t) => (MLP_LINEARS as readonly string[]).includes(t));
  const reuse = (options.reuseAttention ?? true) && mlpOnly;

  onProgress?.({ stage: 'embed', layer: -1, layers });
  let hidden = await model.embed(inputIds, nsamples, seqlen);
  for (let index = 0; index < layers; index++) {
    const layer = await model.loadLayer(index);
    try {
      const accumulator = new InputStatsAccumulator({ sumSq: targets, gram: targets.filter(wantsGram) }, (l) => layer.linearWeight(l).shape[1]!);
      // The dense pass's output is never used (the next layer sees the pruned one): only its captures are wanted.
      await layer.run(hidden, nsamples, seqlen, { ...forwardOptions, stats: accumulator, skipOutput: true, keepResidual: reuse });
      const stats: LayerStats = { inputSumSq: accumulator.sumSq, gram: accumulator.gram, tokens: nsamples * seqlen };
      onProgress?.({ stage: 'dense', layer: index, layers });
      const context: LayerCallbackContext = { index, layer, stats };
      await options.onLayer(context);
      hidden = layer.hasResidual(nsamples, seqlen)
        ? await layer.run(undefined, nsamples, seqlen, { ...forwardOptions, fromResidual: true })
        : await layer.run(hidden, nsamples, seqlen, forwardOptions);
      onProgress?.({ stage: 'pruned', layer: index, layers });
      await options.afterLayer?.(context);
    } finally {
      layer.dispose();
    }
  }
  return hidden;
}
