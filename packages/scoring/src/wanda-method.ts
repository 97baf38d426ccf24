import { requireSumSq, resolveAlpha, validateKind, validateWeight } from './score-inputs.js';
import type { LinearStats, ProjectionKind, ScorePlan, ScoringPlugin } from './types.js';

export const WANDA_PLAN: ScorePlan = { group: 'row', nmAxis: 'in', scoreKind: '|W|·sqrt(s_j)' };

/** Wanda score |W_ij|·sqrt(s_j), s_j = Σ X_tj² over this linear's input column j. */
export function wandaScores(
  method: string,
  weight: Float32Array,
  shape: readonly [number, number],
  kind: ProjectionKind,
  stats: LinearStats | undefined,
): Float32Array {
  validateWeight(method, weight, shape, kind);
  const [rows, cols] = shape;
  const s = requireSumSq(method, kind, stats, 'inputSumSq', cols, `the input dimension of [${rows}, ${cols}]`);
  const norms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) norms[j] = Math.sqrt(s[j]);
  const out = new Float32Array(weight.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) out[base + j] = Math.abs(weight[base + j]) * norms[j];
  }
  return out;
}

/** Wanda: weight × input-activation norm, compared within each output row; N:M along `in`. */
export const wandaMethod: ScoringPlugin = {
  name: 'wanda',
  label: 'Wanda',
  description: 'weights and activations: |W_ij|·‖X_j‖ per output row (Sun et al. 2024)',
  needs: ['inputSumSq'],
  options: [],
  plan(kind) {
    validateKind('wanda', kind);
    return WANDA_PLAN;
  },
  score(weight, shape, kind, stats, options) {
    if (options?.alpha !== undefined) resolveAlpha('wanda', options);
    return wandaScores('wanda', weight, shape, kind, stats);
  },
};
