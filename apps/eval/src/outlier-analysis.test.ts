import { describe, expect, it } from 'vitest';
import type { LayerStats } from '@dass/calibration';
import type { HostTensor, LinearName } from '@dass/model-loader';
import { analyzeLayer, histogram, outlierRatios, summarizeNeuronNorms } from './outlier-analysis.js';

describe('outlierRatios', () => {
  it('counts scores strictly above k × mean', () => {
    // mean = (9·1 + 11) / 10 = 2: k=3 → 6 and k=5 → 10 leave only the 11; k=5.5 → 11 is not strictly above.
    const scores = [1, 1, 1, 1, 1, 1, 1, 1, 1, 11];
    expect(outlierRatios(scores, [0.4, 3, 5, 5.5, 7])).toEqual([1, 0.1, 0.1, 0, 0]);
  });

  it('is 0 for all-zero scores and validates its inputs', () => {
    expect(outlierRatios(new Float32Array(4), [3])).toEqual([0]);
    expect(() => outlierRatios([], [3])).toThrow('scores: expected a non-empty array of numbers, got length 0');
    expect(() => outlierRatios([1], [])).toThrow('k: expected a non-empty list of numbers > 0, got []');
    expect(() => outlierRatios([1], [0])).toThrow('k: expected a non-empty list of numbers > 0, got [0]');
    expect(() => outlierRatios([1, Infinity], [3])).toThrow('scores: the mean is Infinity');
  });
});

describe('histogram', () => {
  it('bins equal widths over [min, max], the maximum in the last bin', () => {
    expect(histogram([0, 1, 2, 3, 4], 2)).toEqual({ edges: [0, 2, 4], counts: [2, 3] });
    expect(histogram([0, 0.5, 1], 4)).toEqual({ edges: [0, 0.25, 0.5, 0.75, 1], counts: [1, 0, 1, 1] });
  });
  it('gives one value a bin of width 1 around it, and nothing no bins', () => {
    expect(histogram([3, 3], 1)).toEqual({ edges: [2.5, 3.5], counts: [2] });
    expect(histogram([], 3)).toEqual({ edges: [], counts: [] });
  });
  it('validates', () => {
    expect(() => histogram([1], 0)).toThrow('bins: expected an integer >= 1, got 0');
    expect(() => histogram([1, NaN], 2)).toThrow('values[1]: expected a finite number, got NaN');
  });
});

describe('summarizeNeuronNorms', () => {
  it('takes norms = sqrt(sum of squares), keeps zeros out of the log histogram', () => {
    // norms [0, 1, 2, 10]; log10 of the non-zero ones = [0, 0.30103, 1] → 2 bins over [0, 1]: [0, 0.301] and [1].
    const s = summarizeNeuronNorms(Float64Array.from([0, 1, 4, 100]), 2);
    expect(s).toMatchObject({ neurons: 4, min: 0, median: 1.5, mean: 13 / 4, max: 10, zeros: 1 });
    expect(s.log10Histogram).toEqual({ edges: [0, 0.5, 1], counts: [2, 1] });
  });
  it('rejects a negative sum of squares', () => {
    expect(() => summarizeNeuronNorms([1, -1], 2)).toThrow('downInputSumSq[1]: expected a finite sum of squares >= 0, got -1');
  });
});

describe('analyzeLayer', () => {
  it('scores gate/up/down with Wanda (|W_ij|·sqrt(s_j)) and summarises ‖h_i‖ from down_proj’s input', () => {
    // gate: W = [[1, -2], [3, 0.5]], s = [4, 1] → scores [2, 2, 6, 0.5], mean 2.625: above 0.5×mean (1.3125) 2, 2, 6;
    //   above 2×mean (5.25) only the 6.
    // up: W = [[1, 1], [1, 1]] with the same s → scores [2, 1, 2, 1], mean 1.5: all above 0.75, none above 3.
    // down: W = [[4, 0]] (1×2), s^down = [1, 9] → scores [4, 0], mean 2: above 1 only the 4, none strictly above 4.
    // ‖h‖ = sqrt([1, 9]) = [1, 3].
    const weights: Record<string, HostTensor> = {
      gate_proj: { shape: [2, 2], data: Float32Array.from([1, -2, 3, 0.5]) },
      up_proj: { shape: [2, 2], data: Float32Array.from([1, 1, 1, 1]) },
      down_proj: { shape: [1, 2], data: Float32Array.from([4, 0]) },
    };
    const s = Float64Array.from([4, 1]);
    const stats: LayerStats = {
      inputSumSq: new Map<LinearName, Float64Array>([
        ['gate_proj', s],
        ['up_proj', s],
        ['down_proj', Float64Array.from([1, 9])],
      ]),
      gram: new Map(),
      tokens: 3,
    };
    const layer = { index: 7, linearWeight: (l: LinearName) => weights[l]! };
    const a = analyzeLayer(layer, stats, { k: [0.5, 2], bins: 2 });
    expect(a.layer).toBe(7);
    expect(a.outlierRatio).toEqual({ gate_proj: [0.75, 0.25], up_proj: [1, 0], down_proj: [0.5, 0] });
    expect(a.neuronNorms).toMatchObject({ neurons: 2, min: 1, median: 2, mean: 2, max: 3, zeros: 0 });
    expect(a.neuronNorms.log10Histogram.counts).toEqual([1, 1]);
  });

  it('names the projection whose statistics are missing', () => {
    const layer = { index: 0, linearWeight: () => ({ shape: [1, 1], data: new Float32Array(1) }) };
    const stats: LayerStats = { inputSumSq: new Map(), gram: new Map(), tokens: 1 };
    expect(() => analyzeLayer(layer, stats, { k: [3], bins: 2 })).toThrow('layer 0 gate_proj: no calibration statistics were gathered');
  });
});
