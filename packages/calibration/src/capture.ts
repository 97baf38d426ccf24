import { DECODER_LINEARS, InputStatsAccumulator, MLP_LINEARS } from '@dass/model-loader';
import type { CausalLM, DecoderLayer, LinearName } from '@dass/model-loader';

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
  if (!Number.isInteger(nsamples) || nsamples < 1) throw new RangeError(`nsamples: expected a positive integer, got ${nsamples}`);
  if (!Number.isInteger(seqlen) || seqlen < 1) throw new RangeError(`seqlen: expected a positive integer, got ${seqlen}`);
  if (inputIds.length !== nsamples * seqlen) {
    throw new RangeError(`inputIds: expected nsamples×seqlen = ${nsamples}×${seqlen} = ${nsamples * seqlen} ids, got ${inputIds.length}`);
  }
  for (const t of targets) {
    if (!(DECODER_LINEARS as readonly string[]).includes(t)) throw new RangeError(`targets: unknown linear ${JSON.stringify(t)}; expected ${DECODER_LINEARS.join(', ')}`);
  }
  if (options.layers !== undefined && (!Number.isInteger(options.layers) || options.layers < 0 || options.layers > model.config.numLayers)) {
    throw new RangeError(`layers: expected an integer in [0, ${model.config.numLayers}], got ${options.layers}`);
  }
}

/**
 * The layer-sequential loop of SPEC §3: embed every sample once (host memory), then per decoder layer: load it alone,
 * run it dense over all samples while accumulating each target's input statistics, hand it to `onLayer` (prune),
 * run it again (now pruned) to produce the next layer's inputs, call `afterLayer`, release it. With MLP-only targets
 * the second run redoes only the MLP from the kept post-attention residual (`reuseAttention`). When the model has
 * worker threads (`CausalLM.fromSource(source, { threads })`) both runs split the samples between them and the
 * statistics are merged (sums, so only the float summation order changes).
 * Only one layer's weights are resident at a time. Returns the final hidden states.
 */
export async function runLayerSequential(options: LayerSequentialOptions): Promise<Float32Array> {
  validate(options);
  const { model, inputIds, nsamples, seqlen, targets, onProgress } = options;
  const layers = options.layers ?? model.config.numLayers;
  const wantsGram = (linear: LinearName) => (typeof options.gram === 'function' ? options.gram(linear) : options.gram === true);
  const forwardOptions = { maxTokensPerPass: options.maxTokensPerPass };

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
