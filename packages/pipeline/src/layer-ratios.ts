import type { z } from 'zod';
import type { LayerRatiosReportSchema } from './run-manifest-schema.js';
import { runLayerSequential } from '@dass/calibration';
import type { CausalLM, LinearName } from '@dass/model-loader';
import { unstructured } from '@dass/nm-sparsify';
import type { SparsityPattern } from '@dass/nm-sparsify';
import { wandaScores } from '@dass/scoring';
import type { ProjectionKind } from '@dass/scoring';
import { InvalidArgumentError } from '@dass/errors';

/** How the target sparsity is spread over the layers: the same everywhere, or OWL's outlier-weighted ratios. */
export const LAYER_RATIO_STRATEGIES = ['uniform', 'owl'] as const;
export type LayerRatioStrategy = (typeof LAYER_RATIO_STRATEGIES)[number];

/** OWL's hyper-parameters as the authors run LLaMA (luuyin/OWL `--Hyper_m 5 --Lamda 0.08`). */
export const OWL_DEFAULTS = { m: 5, lambda: 0.08 } as const;

/** What the manifest records of a non-uniform run (see `LayerRatiosReportSchema`). */
export type LayerRatiosReport = z.infer<typeof LayerRatiosReportSchema>;

/**
 * OWL's layer-wise outlier ratio (Yin et al., ICML 2024, `check_outlier_mean` in luuyin/OWL): the percentage of
 * entries of the layer's concatenated Wanda scores `|W_ij|·‖X_j‖` that exceed `m` × their mean.
 */
export function outlierRatio(scores: readonly (Float32Array | Float64Array)[], m: number): number {
  let sum = 0;
  let count = 0;
  for (const s of scores) {
    for (let i = 0; i < s.length; i++) sum += s[i]!;
    count += s.length;
  }
  if (count === 0) throw new InvalidArgumentError('outlierRatio', 'no scores');
  const threshold = (sum / count) * m;
  let above = 0;
  for (const s of scores) for (let i = 0; i < s.length; i++) if (s[i]! > threshold) above++;
  return (above / count) * 100;
}

/**
 * OWL's per-layer sparsity from the outlier ratios D_l: densities `(D_l − min D)/(max D − min D) · 2λ`, shifted so
 * that their mean is `1 − target`, and sparsity = 1 − density. The authors' layers are all the same size; here the
 * mean is weighted by each layer's weight count, so `Σ_l w_l·ratio_l / Σ_l w_l = target` exactly (up to rounding)
 * whatever the sizes. More outliers → lower sparsity. Equal outlier ratios give the uniform target.
 * Throws an InvalidArgumentError (field `lambda`) when a ratio leaves [0, 1).
 */
export function owlLayerRatios(outlierRatios: readonly number[], weights: readonly number[], target: number, lambda: number): number[] {
  if (outlierRatios.length === 0 || outlierRatios.length !== weights.length) {
    throw new InvalidArgumentError('weights', `expected one weight count per layer (${outlierRatios.length} ratios, ${weights.length} counts)`);
  }
  if (!(target >= 0 && target < 1)) throw new InvalidArgumentError('target', `expected a ratio in [0, 1), got ${target}`);
  if (!(lambda >= 0 && Number.isFinite(lambda))) throw new InvalidArgumentError('lambda', `expected a finite number >= 0, got ${lambda}`);
  const lo = Math.min(...outlierRatios);
  const hi = Math.max(...outlierRatios);
  const spread = outlierRatios.map((d) => (hi > lo ? ((d - lo) / (hi - lo)) * 2 * lambda : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const mean = spread.reduce((a, s, l) => a + s * weights[l]!, 0) / total;
  const ratios = spread.map((s) => 1 - (s - mean + (1 - target)));
  ratios.forEach((r, l) => {
    if (!(r >= 0 && r < 1)) {
      throw new InvalidArgumentError(
        'lambda',
        (name) =>
          `layer ${l} would get sparsity ${r.toFixed(4)} (${name('target')} ${target}, λ = ${lambda}): outside [0, 1); lower ${name('lambda')} or ${name('target')}`,
      );
    }
  });
  return ratios;
}

/**
 * OWL's pre-pass: a layer-sequential pass over the dense model (no pruning, as the authors' code) that measures
 * each layer's outlier ratio over the Wanda scores of its target linears, then the per-layer unstructured patterns.
 */
export async function owlLayerPatterns(options: {
  model: CausalLM;
  inputIds: Int32Array;
  nsamples: number;
  seqlen: number;
  targets: readonly LinearName[];
  target: number;
  m: number;
  lambda: number;
  maxTokensPerPass?: number;
  onProgress?: (layer: number, layers: number) => void;
}): Promise<{ patterns: SparsityPattern[]; report: LayerRatiosReport }> {
  const outlierRatios: number[] = [];
  const weights: number[] = [];
  await runLayerSequential({
    model: options.model,
    inputIds: options.inputIds,
    nsamples: options.nsamples,
    seqlen: options.seqlen,
    targets: options.targets,
    maxTokensPerPass: options.maxTokensPerPass,
    onProgress: (p) => options.onProgress?.(p.layer, p.layers),
    onLayer: ({ layer, stats }) => {
      const scores: Float32Array[] = [];
      let count = 0;
      for (const linear of options.targets) {
        const w = layer.linearWeight(linear);
        const shape: [number, number] = [w.shape[0]!, w.shape[1]!];
        scores.push(wandaScores('owl', w.data, shape, linear as ProjectionKind, { inputSumSq: stats.inputSumSq.get(linear)!, tokens: stats.tokens }));
        count += w.data.length;
      }
      outlierRatios.push(outlierRatio(scores, options.m));
      weights.push(count);
    },
  });
  const ratios = owlLayerRatios(outlierRatios, weights, options.target, options.lambda);
  return { patterns: ratios.map((r) => unstructured(r)), report: { strategy: 'owl', m: options.m, lambda: options.lambda, outlierRatios, ratios, weights } };
}
