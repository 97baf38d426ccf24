import { runSparseGPT } from '@dass/nm-sparsify';
import { OBS_OPTIONS } from './obs-options.js';
import { requireGram, sweepDetails } from './sparsegpt-method.js';
import type { WeightUpdate } from './types.js';

/**
 * `--update obs`: keep the method's mask fixed and apply SparseGPT's OBS update to the kept weights (same
 * H = 2·XᵀX/tokens, damping and block size; `runSparseGPT` with `mask`). As Wanda's `ablate_*_seq` experiments and
 * RIA's `--reconstruction`. Works with any mask, including DaSS's N:M groups along the output axis: the mask is
 * fixed per column before the sweep, so the sweep never needs to know the pattern.
 */
export const obsUpdate: WeightUpdate = {
  name: 'obs',
  label: 'OBS',
  description: "SparseGPT's OBS update of the kept weights under the method's fixed mask",
  needs: ['gram'],
  options: OBS_OPTIONS,
  apply(input) {
    const result = runSparseGPT({
      weight: input.weight,
      shape: input.shape,
      gram: requireGram('update obs', input),
      tokens: input.stats!.tokens,
      mask: input.mask,
      blocksize: input.options.blocksize as number,
      percdamp: input.options.percdamp as number,
      name: input.name,
    });
    return { weight: result.weight, details: sweepDetails(result) };
  },
};
