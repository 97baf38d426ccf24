import type { ComparisonGroup, MatrixShape, ScoreArray } from './mask-types.js';
import { assertNoNaN, validateMatrix } from './matrix-shape.js';
import { markSmallest, scratchLike } from './select-smallest.js';
import { unstructured } from './sparsity-pattern.js';
import { InvalidArgumentError } from '@dass/errors';

const GROUPS: readonly ComparisonGroup[] = ['row', 'column', 'matrix'];
/** Columns gathered at once for column groups: reading whole rows of a block keeps memory access sequential. */
const COLUMN_BLOCK = 64;

/** How many weights a group of `groupSize` loses at `ratio`: floor(groupSize·ratio), as Wanda/DaSS compute it. */
export function prunedPerGroup(groupSize: number, ratio: number): number {
  return Math.min(groupSize, Math.floor(groupSize * ratio));
}

/**
 * Unstructured mask (1 = pruned): exactly floor(groupSize·ratio) lowest scores zeroed in every row, every column,
 * or over the whole matrix. Ties: lower row-major index first (within a column: lower row first).
 */
export function selectUnstructuredMask(scores: ScoreArray, shape: MatrixShape, ratio: number, group: ComparisonGroup): Uint8Array {
  validateMatrix(scores, shape, 'scores');
  unstructured(ratio);
  if (!GROUPS.includes(group)) {
    throw new InvalidArgumentError('group', `expected one of ${GROUPS.join(', ')}, got ${JSON.stringify(group)}`);
  }
  const [rows, cols] = shape;
  assertNoNaN(scores, 'scores', cols);
  const mask = new Uint8Array(rows * cols);
  if (group === 'matrix') {
    markSmallest(scores, 0, 1, rows * cols, prunedPerGroup(rows * cols, ratio), mask, 0, 1, scratchLike(scores, rows * cols));
  } else if (group === 'row') {
    const k = prunedPerGroup(cols, ratio);
    const work = scratchLike(scores, cols);
    for (let r = 0; r < rows; r++) markSmallest(scores, r * cols, 1, cols, k, mask, r * cols, 1, work);
  } else {
    const k = prunedPerGroup(rows, ratio);
    if (k === 0) return mask;
    const work = scratchLike(scores, rows);
    const block = scratchLike(scores, COLUMN_BLOCK * rows);
    const blockMask = new Uint8Array(COLUMN_BLOCK * rows);
    for (let c0 = 0; c0 < cols; c0 += COLUMN_BLOCK) {
      const width = Math.min(COLUMN_BLOCK, cols - c0);
      // Work on the block column-major so each column is contiguous; gather and scatter row by row.
      for (let r = 0; r < rows; r++) {
        const base = r * cols + c0;
        for (let c = 0; c < width; c++) block[c * rows + r] = scores[base + c];
      }
      blockMask.fill(0);
      for (let c = 0; c < width; c++) markSmallest(block, c * rows, 1, rows, k, blockMask, c * rows, 1, work);
      for (let r = 0; r < rows; r++) {
        const base = r * cols + c0;
        for (let c = 0; c < width; c++) mask[base + c] = blockMask[c * rows + r];
      }
    }
  }
  return mask;
}
