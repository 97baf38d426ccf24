import { resolveAlpha, validateKind, validateWeight } from './score-inputs.js';
import type { ScoringPlugin } from './types.js';

/** Score |W_ij|. */
export function absoluteWeights(weight: Float32Array): Float32Array {
  const out = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) out[i] = Math.abs(weight[i]);
  return out;
}

/** Magnitude pruning: |W_ij|, one threshold over the whole matrix; N:M along `in`. Needs no calibration. */
export const magnitudeMethod: ScoringPlugin = {
  name: 'magnitude',
  label: 'Magnitude',
  description: '|W_ij|, one threshold over the whole matrix',
  needs: [],
  options: [],
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
