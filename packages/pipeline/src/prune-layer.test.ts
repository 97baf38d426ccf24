import { describe, expect, it } from 'vitest';
import type { LayerStats } from '@dass/calibration';
import type { DecoderLayer, LinearName } from '@dass/model-loader';
import { parseSparsity } from '@dass/nm-sparsify';
import { getScoringMethod, resolveMethodOptions } from '@dass/scoring';
import { DassError } from '@dass/errors';
import { pruneLayer } from './prune-layer.js';

/** The three things pruneLayer uses of a resident layer: its index and its linears' weights. */
function layerWith(index: number, weights: Partial<Record<LinearName, { shape: number[]; data: Float32Array }>>): DecoderLayer {
  return {
    index,
    linearWeight: (linear: LinearName) => weights[linear]!,
    setLinearWeight: (linear: LinearName, data: Float32Array) => void (weights[linear]!.data = data),
  } as unknown as DecoderLayer;
}

const options = (method: string) => ({
  method: getScoringMethod(method),
  pattern: parseSparsity('0.5'),
  targets: ['down_proj'] as LinearName[],
  options: resolveMethodOptions(getScoringMethod(method), undefined),
  partialGroups: 'error' as const,
});
const stats = (sumSq: number[]): LayerStats => ({ inputSumSq: new Map([['down_proj', Float64Array.from(sumSq)]]), gram: new Map(), tokens: 4 });

describe('pruneLayer NaN/Inf guards', () => {
  it('prunes a finite 2×4 matrix with Wanda (equal input norms): the two smallest |w| of each output row are zeroed', () => {
    const layer = layerWith(1, { down_proj: { shape: [2, 4], data: Float32Array.from([1, -4, 2, 3, -8, 5, 6, -7]) } });
    const [report] = pruneLayer(layer, stats([1, 1, 1, 1]), options('wanda'));
    expect(Array.from(layer.linearWeight('down_proj').data)).toEqual([0, -4, 0, 3, -8, 0, 0, -7]);
    expect(report!.zeros).toBe(4);
  });

  it('names the layer and linear of a NaN or Inf weight before scoring (magnitude sees no statistics)', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = Float32Array.from([1, -4, 2, 3, -8, bad, 6, -7]);
      const layer = layerWith(1, { down_proj: { shape: [2, 4], data } });
      let thrown: unknown;
      try {
        pruneLayer(layer, stats([1, 1, 1, 1]), options('magnitude'));
      } catch (err) {
        thrown = err;
      }
      expect(DassError.isInstance(thrown)).toBe(true);
      expect((thrown as DassError).code).toBe('DASS_INVALID_DATA');
      expect((thrown as DassError).message).toBe(
        `model.layers.1.down_proj: the weight has a non-finite value (${bad}) at index 5; the layer's activations or weights contain NaN/Inf, so pruning stops here`,
      );
      expect(layer.linearWeight('down_proj').data).toBe(data); // nothing written back
    }
  });

  it('names non-finite input statistics (the layer below produced NaN activations)', () => {
    const layer = layerWith(3, { down_proj: { shape: [2, 4], data: Float32Array.from([1, -4, 2, 3, -8, 5, 6, -7]) } });
    expect(() => pruneLayer(layer, stats([1, NaN, 1, 1]), options('wanda'))).toThrow(
      'model.layers.3.down_proj: the input sum of squares has a non-finite value (NaN) at index 1',
    );
  });
});
