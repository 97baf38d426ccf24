// The browser entry of @dass/nm-sparsify (`browser` export condition): masks, checks, SparseGPT; no Node built-ins.
// Sparsity patterns and mask selection (plain TypeScript over typed arrays).
export { parseSparsity, formatSparsity, nmPattern, unstructured, targetRatio } from './sparsity-pattern.js';
export type { SparsityPattern, UnstructuredPattern, NmPattern } from './sparsity-pattern.js';
export type { MatrixShape, ComparisonGroup, NmAxis, PartialGroups, ScoreArray, MaskPlan, MaskSelection } from './mask-types.js';
export { selectUnstructuredMask, prunedPerGroup } from './unstructured-mask.js';
export { selectNMMask, nmGroupLayout } from './nm-mask.js';
export { selectMask, maskPatterns } from './mask-patterns.js';
export type { SelectMaskOptions, MaskPatternSelector } from './mask-patterns.js';
export { selectKth, markSmallest } from './select-smallest.js';
export { applyMask } from './apply-mask.js';
export { checkNM } from './check-nm.js';
export type { NmCheck } from './check-nm.js';
export { sparsityOf } from './sparsity-of.js';
// Mask export: packed bitmasks and the N:M compressed layout as safetensors.
export { packBitmask, unpackBitmask, packedRowBytes, transposeMatrix } from './bitmask.js';
export { compressNM, decompressNM } from './compressed-nm.js';
export type { CompressedNM } from './compressed-nm.js';
// SparseGPT (OBS pruning with weight updates), its float64 linear algebra and the blocked float32-product one.
export { runSparseGPT } from './sparsegpt.js';
export type { SparseGPTOptions, SparseGPTResult, SparseGPTMatmul } from './sparsegpt.js';
export { choleskyLowerBlocked, invertLowerBlocked, upperCholeskyOfInverseBlocked } from './linalg-blocked.js';
export {
  NotPositiveDefiniteError,
  choleskyLower,
  choleskyInverse,
  upperCholeskyOfInverse,
  invertLower,
  solveLower,
  solveLowerTransposed,
  solveUpper,
} from './linalg.js';
export type { CholeskyOptions } from './linalg.js';
