import { runSparseGPT } from '@dass/nm-sparsify';
import { OBS_OPTIONS } from './obs-options.js';
import { validateKind } from './score-inputs.js';
import type { MatrixPruneInput, MatrixPruneResult, PruningMethod } from './types.js';

/** What one OBS sweep reports into the run manifest's per-matrix details (sparsegpt and `--update obs` alike). */
export function sweepDetails(result: ReturnType<typeof runSparseGPT>): Record<string, number> {
  return { obsError: result.error, dampUsed: result.dampUsed, retries: result.retries, deadColumns: result.deadColumns };
}

/** The Gram matrix a step needs, or an error naming the matrix and the method. */
export function requireGram(owner: string, input: MatrixPruneInput): Float64Array | Float32Array {
  const gram = input.stats?.gram;
  if (!gram) throw new Error(`${input.name}: ${owner} needs XᵀX of this linear's inputs (stats.gram), which was not gathered`);
  return gram;
}

/**
 * SparseGPT (Frantar & Alistarh 2023) as a registry entry with its own per-matrix step: its saliency w²/[H⁻¹]_jj²
 * changes as the OBS sweep updates the remaining weights, so there is no static score; `prune()` runs
 * `runSparseGPT` from @dass/nm-sparsify. The plan describes where its masks are chosen: adaptively per row within
 * 128-column blocks (reported as 'row'), N:M along `in`.
 */
export const sparsegptMethod: PruningMethod & { prune: NonNullable<PruningMethod['prune']> } = {
  name: 'sparsegpt',
  label: 'SparseGPT',
  description: 'OBS pruning with weight updates (Frantar & Alistarh 2023)',
  needs: ['inputSumSq', 'gram'],
  options: OBS_OPTIONS,
  plan(kind) {
    validateKind('sparsegpt', kind);
    return { group: 'row', nmAxis: 'in', scoreKind: 'w²/[H⁻¹]_jj² (OBS, adaptive per 128-column block)' };
  },
  prune(input: MatrixPruneInput): MatrixPruneResult {
    validateKind('sparsegpt', input.kind);
    const result = runSparseGPT({
      weight: input.weight,
      shape: input.shape,
      gram: requireGram('sparsegpt', input),
      tokens: input.stats!.tokens,
      pattern: input.pattern,
      blocksize: input.options.blocksize as number,
      percdamp: input.options.percdamp as number,
      partialGroups: input.partialGroups,
      name: input.name,
    });
    return {
      weight: result.weight,
      mask: result.mask,
      denseTailWeights: result.denseTailWeights,
      details: sweepDetails(result),
    };
  },
};
