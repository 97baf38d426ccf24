import { validateKind } from './score-inputs.js';
import type { ScoringMethod } from './types.js';

/**
 * SparseGPT's saliency w²/[H⁻¹]_jj² changes as the OBS sweep updates the remaining weights, so no static score
 * exists: `score()` throws and callers run `runSparseGPT` from @dass/nm-sparsify. The plan describes where its
 * masks are chosen: adaptively per row within 128-column blocks (reported as 'row'), N:M along `in`.
 */
export const sparsegptMethod: ScoringMethod = {
  name: 'sparsegpt',
  needsActivations: true,
  needsGram: true,
  updatesWeights: true,
  plan(kind) {
    validateKind('sparsegpt', kind);
    return { group: 'row', nmAxis: 'in', scoreKind: 'w²/[H⁻¹]_jj² (OBS, adaptive per 128-column block)' };
  },
  score(_weight, _shape, kind) {
    throw new Error(
      `sparsegpt: no static score for ${String(kind)}: saliency w²/[H⁻¹]_jj² is recomputed during the OBS sweep ` +
        `as weights are updated; call runSparseGPT from @dass/nm-sparsify instead`,
    );
  },
};
