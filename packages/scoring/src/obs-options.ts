import { openUnit, positive } from './method-options.js';
import type { MethodOption } from './types.js';

/** SparseGPT's Hessian damping and block size, shared by the `sparsegpt` method and the `obs` update. */
export const OBS_OPTIONS: readonly MethodOption[] = [
  { name: 'percdamp', type: 'number', default: 0.01, description: 'OBS Hessian damping, a fraction of mean(diag H)', validate: openUnit },
  { name: 'blocksize', type: 'integer', default: 128, description: 'OBS column block size (the lazy-update batch)', validate: positive },
];
