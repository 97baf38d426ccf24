import type { MaskPlan, MaskSelection, MatrixShape, PartialGroups, ScoreArray } from './mask-types.js';
import { selectNMMask } from './nm-mask.js';
import type { SparsityPattern } from './sparsity-pattern.js';
import { selectUnstructuredMask } from './unstructured-mask.js';
import { InvalidArgumentError } from '@dass/errors';

export interface SelectMaskOptions {
  /** Incomplete N:M tail groups: 'error' (default) or leave them 'dense'. */
  partialGroups?: PartialGroups;
  /** Names the matrix in errors, e.g. `model.layers.0.mlp.gate_proj`. */
  name?: string;
}

/** How one pattern kind turns scores into a mask. */
export type MaskPatternSelector<K extends SparsityPattern['kind']> = (
  scores: ScoreArray,
  shape: MatrixShape,
  pattern: Extract<SparsityPattern, { kind: K }>,
  plan: MaskPlan,
  options: SelectMaskOptions,
) => MaskSelection;

/** Pattern kinds and their selectors: callers dispatch through this table, not through if/else on the kind. */
export const maskPatterns: { readonly [K in SparsityPattern['kind']]: MaskPatternSelector<K> } = {
  unstructured: (scores, shape, pattern, plan) => ({
    mask: selectUnstructuredMask(scores, shape, pattern.ratio, plan.group),
    denseTailWeights: 0,
  }),
  nm: (scores, shape, pattern, plan, options) => selectNMMask(scores, shape, pattern.n, pattern.m, plan.nmAxis, options.partialGroups ?? 'error', options.name),
};

/** Selects the mask for `pattern`: unstructured patterns use `plan.group`, N:M patterns use `plan.nmAxis`. */
export function selectMask(scores: ScoreArray, shape: MatrixShape, pattern: SparsityPattern, plan: MaskPlan, options: SelectMaskOptions = {}): MaskSelection {
  const selector = maskPatterns[pattern?.kind] as MaskPatternSelector<SparsityPattern['kind']> | undefined;
  if (!selector) {
    throw new InvalidArgumentError('pattern', `unknown kind ${JSON.stringify(pattern?.kind)}; known: ${Object.keys(maskPatterns).join(', ')}`);
  }
  if (plan === null || typeof plan !== 'object') throw new InvalidArgumentError('plan', `expected {group, nmAxis}, got ${String(plan)}`);
  return selector(scores, shape, pattern, plan, options);
}
