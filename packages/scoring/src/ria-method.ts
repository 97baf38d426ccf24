import { nonNegative } from './method-options.js';
import { requireSumSq, resolveAlpha, validateKind, validateWeight } from './score-inputs.js';
import type { LinearStats, ProjectionKind, ScoreOptions, ScorePlan, ScoringPlugin } from './types.js';

/** RIA's default exponent on the activation norm (`--a 0.5` in the authors' main.py). */
export const RIA_DEFAULT_A = 0.5;

const RIA_PLAN: ScorePlan = { group: 'matrix', nmAxis: 'in', scoreKind: '(|W_ij|/Σ_k|W_kj| + |W_ij|/Σ_k|W_ik|)·‖X_j‖^a' };

/**
 * Relative Importance and Activations (Zhang et al., ICLR 2024, "Plug-and-Play", `prune_ria` in
 * biomedical-cybernetics/Relative-importance-and-activation-pruning `lib/prune.py`):
 * `RIA_ij = (|W_ij| / Σ_k |W_kj| + |W_ij| / Σ_k |W_ik|) · ‖X_j‖^a`, the first sum down input column j (over output
 * rows k), the second along output row i (over input columns k), ‖X_j‖ = sqrt(s_j). A zero row or column sum only
 * occurs with all-zero weights there; its term is taken as 0 (the reference's 0/0 would be NaN).
 */
export function riaScores(
  weight: Float32Array,
  shape: readonly [number, number],
  kind: ProjectionKind,
  stats: LinearStats | undefined,
  options?: ScoreOptions,
): Float32Array {
  validateWeight('ria', weight, shape, kind);
  const a = resolveAlpha('ria', options);
  const [rows, cols] = shape;
  const s = requireSumSq('ria', kind, stats, 'inputSumSq', cols, `the input dimension of [${rows}, ${cols}]`);
  const colSum = new Float64Array(cols);
  const rowSum = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.abs(weight[base + j]);
      sum += v;
      colSum[j] += v;
    }
    rowSum[r] = sum;
  }
  const act = new Float64Array(cols);
  // ‖X_j‖^a = (s_j)^(a/2); 0^0 = 1, so a = 0 is relative importance alone ("ri" in the authors' code).
  for (let j = 0; j < cols; j++) act[j] = Math.pow(s[j], a / 2);
  const out = new Float32Array(weight.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const inv = rowSum[r] > 0 ? 1 / rowSum[r] : 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.abs(weight[base + j]);
      const c = colSum[j] > 0 ? v / colSum[j] : 0;
      out[base + j] = (c + v * inv) * act[j];
    }
  }
  return out;
}

/**
 * RIA: relative importance times activations. Its default comparison group is the whole matrix (the authors'
 * `per_outneuron` flag is off by default: one threshold over `W_metric.flatten()`) and N:M runs along `in`
 * (`topk` over M consecutive columns of each row). Masks use docs/SPEC.md §1's exact count; the reference's
 * `W_metric <= sorted[k]` prunes one weight more.
 */
export const riaMethod: ScoringPlugin = {
  name: 'ria',
  label: 'RIA',
  description: 'relative importance and activations (Zhang et al. 2024), one threshold per matrix',
  needs: ['inputSumSq'],
  options: [
    {
      name: 'alpha',
      type: 'number',
      default: RIA_DEFAULT_A,
      description: 'exponent on the activation norm (DaSS: ‖h_i‖^α; RIA: ‖X_j‖^a)',
      validate: nonNegative,
    },
  ],
  plan(kind) {
    validateKind('ria', kind);
    return RIA_PLAN;
  },
  score: riaScores,
};
