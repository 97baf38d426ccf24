import { nonNegative } from './method-options.js';
import { DEFAULT_ALPHA, requireSumSq, resolveAlpha, validateKind, validateWeight } from './score-inputs.js';
import type { LinearStats, ProjectionKind, ScoreOptions, ScorePlan, ScoringPlugin } from './types.js';
import { WANDA_PLAN, wandaScores } from './wanda-method.js';

/** gate_proj and up_proj produce the intermediate neurons h_i that down_proj consumes. */
export function isGateOrUp(kind: ProjectionKind): boolean {
  return kind === 'gate_proj' || kind === 'up_proj';
}

const GATE_UP_PLAN: ScorePlan = { group: 'column', nmAxis: 'out', scoreKind: '|W|·(s_down_i)^(α/2)' };

/**
 * DaSS gate/up score |W_ij|·‖h_i‖^α = |W_ij|·(s^down_i)^(α/2): row i of gate/up feeds neuron h_i, so the factor is
 * constant along a row and the comparison runs down each input column (docs/SPEC.md §2).
 */
export function dassGateUpScores(
  weight: Float32Array,
  shape: readonly [number, number],
  kind: ProjectionKind,
  stats: LinearStats | undefined,
  options?: ScoreOptions,
): Float32Array {
  validateWeight('dass', weight, shape, kind);
  const alpha = resolveAlpha('dass', options);
  const [rows, cols] = shape;
  const s = requireSumSq('dass', kind, stats, 'downInputSumSq', rows, `the output dimension (d_int) of [${rows}, ${cols}]: ‖h_i‖² of down_proj's input`);
  const out = new Float32Array(weight.length);
  for (let r = 0; r < rows; r++) {
    // 0^0 = 1: with α = 0 DaSS reduces to per-column magnitude, as it should.
    const factor = Math.pow(s[r], alpha / 2);
    const base = r * cols;
    for (let j = 0; j < cols; j++) out[base + j] = Math.abs(weight[base + j]) * factor;
  }
  return out;
}

/** DaSS: neuron-norm scores across output rows for gate/up; Wanda for down_proj and attention. */
export const dassMethod: ScoringPlugin = {
  name: 'dass',
  label: 'DaSS',
  description: 'Dependency-aware semi-structured sparsity: |W_ij|·‖h_i‖^α down each gate/up column (Guo et al. 2024)',
  needs: ['inputSumSq', 'downInputSumSq'],
  options: [
    {
      name: 'alpha',
      type: 'number',
      default: DEFAULT_ALPHA,
      description: 'exponent on the activation norm (DaSS: ‖h_i‖^α; RIA: ‖X_j‖^a)',
      validate: nonNegative,
    },
  ],
  plan(kind) {
    validateKind('dass', kind);
    return isGateOrUp(kind) ? GATE_UP_PLAN : WANDA_PLAN;
  },
  score(weight, shape, kind, stats, options) {
    validateKind('dass', kind);
    if (isGateOrUp(kind)) return dassGateUpScores(weight, shape, kind, stats, options);
    resolveAlpha('dass', options);
    return wandaScores('dass', weight, shape, kind, stats);
  },
};
