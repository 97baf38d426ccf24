// The `./bench` subpath (workspace only: not in the published package): the timing harnesses `pnpm bench` runs.
export { benchMasks } from './masks.js';
export type { MaskBenchRow, MaskBenchOptions } from './masks.js';
export { benchSparseGPT, checkSparseGPTAccuracy } from './sparsegpt.js';
export type { SparseGPTBenchCase, SparseGPTBenchOptions, SparseGPTBenchRow, SparseGPTAccuracyOptions, SparseGPTAccuracyReport } from './sparsegpt.js';
