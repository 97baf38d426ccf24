import { resolveAlpha, validateKind, validateWeight } from './score-inputs.js';
import type { ScoringMethod } from './types.js';

/** Score |W_ij|. */
export function absoluteWeights(weight: Float32Array): Float32Array {
  const out = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) out[i] = Math.abs(weight[i]);
  return out;
}

/** Magnitude pruning: |W_ij|, one threshold over the whole matrix; N:M along `in`. Needs no calibration. */
export const magnitudeMethod: ScoringMethod = {
  name: 'magnitude',
  needsActivations: false,
  needsGram: false,
  updatesWeights: false,
  plan(kind) {
    validateKind('magnitude', kind);
    return { group: 'matrix', nmAxis: 'in', scoreKind: '|W|' };
  },
  score(weight, shape, kind, _stats, options) {
    validateWeight('magnitude', weight, shape, kind);
    if (options?.alpha !== undefined) resolveAlpha('magnitude', options);
    return absoluteWeights(weight);
  },
};
