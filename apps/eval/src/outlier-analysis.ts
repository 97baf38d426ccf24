import type { LayerStats } from '@dass/calibration';
import type { HostTensor, LinearName } from '@dass/model-loader';
import { wandaScores } from '@dass/scoring';

export const ANALYZED_LINEARS = ['gate_proj', 'up_proj', 'down_proj'] as const satisfies readonly LinearName[];
export type AnalyzedLinear = (typeof ANALYZED_LINEARS)[number];

export interface Histogram {
  /** bins + 1 ascending edges; bin i counts values in [edges[i], edges[i+1]) (the last bin includes its right edge). */
  edges: number[];
  counts: number[];
}

export interface NeuronNormSummary {
  /** Intermediate neurons (d_int). */
  neurons: number;
  min: number;
  median: number;
  mean: number;
  max: number;
  /** Neurons with ‖h_i‖ = 0 (left out of the log histogram). */
  zeros: number;
  /** Histogram of log10 ‖h_i‖ over the non-zero norms. */
  log10Histogram: Histogram;
}

export interface LayerOutlierAnalysis {
  layer: number;
  /** Per projection, per k (same order as `k`): the share of Wanda scores above k × the matrix's mean score. */
  outlierRatio: Record<AnalyzedLinear, number[]>;
  /** ‖h_i‖ = sqrt(Σ_tokens h_ti²) of the intermediate activation entering down_proj. */
  neuronNorms: NeuronNormSummary;
}

export interface ModelOutlierAnalysis {
  model: string;
  k: number[];
  /** Calibration tokens the statistics were gathered over. */
  tokens: number;
  layers: LayerOutlierAnalysis[];
}

function checkKs(k: readonly number[]): void {
  if (!Array.isArray(k) || k.length === 0 || !k.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new RangeError(`k: expected a non-empty list of numbers > 0, got ${JSON.stringify(k)}`);
  }
}

/**
 * For each k, the fraction of `scores` strictly above k × mean(scores) (the layer-wise outlier ratio of OWL,
 * applied to one matrix's Wanda scores). The mean is accumulated in float64.
 */
export function outlierRatios(scores: ArrayLike<number>, k: readonly number[]): number[] {
  checkKs(k);
  if (scores == null || typeof scores.length !== 'number' || scores.length === 0) {
    throw new RangeError(`scores: expected a non-empty array of numbers, got ${scores == null ? String(scores) : `length ${scores.length}`}`);
  }
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += scores[i]!;
  const mean = sum / scores.length;
  if (!Number.isFinite(mean)) throw new RangeError(`scores: the mean is ${mean}; scores must be finite`);
  return k.map((factor) => {
    const threshold = factor * mean;
    let above = 0;
    for (let i = 0; i < scores.length; i++) if (scores[i]! > threshold) above++;
    return above / scores.length;
  });
}

/** Equal-width histogram of `values` over [min, max] (a single value gets one bin of width 1 centred on it). */
export function histogram(values: ArrayLike<number>, bins: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins: expected an integer >= 1, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`values[${i}]: expected a finite number, got ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) return { edges: [], counts: [] };
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor((values[i]! - lo) / width))]++;
  return { edges, counts };
}

/** Summary and log10 histogram of the neuron norms sqrt(s_i) from down_proj's input sums of squares. */
export function summarizeNeuronNorms(downInputSumSq: ArrayLike<number>, bins: number): NeuronNormSummary {
  const n = downInputSumSq.length;
  if (n === 0) throw new RangeError('downInputSumSq: expected at least one neuron, got none');
  const norms = new Float64Array(n);
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const s = downInputSumSq[i]!;
    if (!(s >= 0) || s === Infinity) throw new RangeError(`downInputSumSq[${i}]: expected a finite sum of squares >= 0, got ${s}`);
    norms[i] = Math.sqrt(s);
    sum += norms[i]!;
    if (s === 0) zeros++;
  }
  const sorted = Float64Array.from(norms).sort();
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const logs: number[] = [];
  for (const v of norms) if (v > 0) logs.push(Math.log10(v));
  return { neurons: n, min: sorted[0]!, median, mean: sum / n, max: sorted[n - 1]!, zeros, log10Histogram: histogram(logs, bins) };
}

/**
 * The analysis of one resident layer from its dense-pass statistics: Wanda-score outlier ratios of gate/up/down and
 * the distribution of the intermediate-neuron norms ‖h_i‖ (the quantity DaSS ranks gate/up columns by).
 */
export function analyzeLayer(
  layer: { index: number; linearWeight(linear: LinearName): HostTensor },
  stats: LayerStats,
  options: { k: readonly number[]; bins: number },
): LayerOutlierAnalysis {
  checkKs(options.k);
  const outlierRatio = {} as Record<AnalyzedLinear, number[]>;
  for (const linear of ANALYZED_LINEARS) {
    const weight = layer.linearWeight(linear);
    const sumSq = stats.inputSumSq.get(linear);
    if (!sumSq) throw new Error(`layer ${layer.index} ${linear}: no calibration statistics were gathered (capture gate_proj, up_proj and down_proj)`);
    const shape: [number, number] = [weight.shape[0]!, weight.shape[1]!];
    const scores = wandaScores('wanda', weight.data, shape, linear, { inputSumSq: sumSq, tokens: stats.tokens });
    outlierRatio[linear] = outlierRatios(scores, options.k);
  }
  return { layer: layer.index, outlierRatio, neuronNorms: summarizeNeuronNorms(stats.inputSumSq.get('down_proj')!, options.bins) };
}
