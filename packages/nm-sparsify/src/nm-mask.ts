import type { MaskSelection, MatrixShape, NmAxis, PartialGroups, ScoreArray } from './mask-types.js';
import { assertNoNaN, validateMatrix } from './matrix-shape.js';
import { markSmallest, scratchLike } from './select-smallest.js';
import { nmPattern } from './sparsity-pattern.js';
import { DassError, InvalidArgumentError } from '@dass/errors';

/** Up to this group length the N smallest are found by counting ranks (m² compares, no scratch, no branches on k). */
const RANK_COUNT_MAX_M = 32;

/** Checks axis/partialGroups and that the group dimension divides by M (or may keep a dense tail). */
export function nmGroupLayout(
  shape: MatrixShape,
  m: number,
  axis: NmAxis,
  partialGroups: PartialGroups,
  name: string,
): { fullGroups: number; tail: number; denseTailWeights: number } {
  if (axis !== 'in' && axis !== 'out') throw new InvalidArgumentError('axis', `expected 'in' or 'out', got ${JSON.stringify(axis)}`);
  if (partialGroups !== 'error' && partialGroups !== 'dense') {
    throw new InvalidArgumentError('partialGroups', `expected 'error' or 'dense', got ${JSON.stringify(partialGroups)}`);
  }
  const [rows, cols] = shape;
  const length = axis === 'in' ? cols : rows;
  const tail = length % m;
  if (tail !== 0 && partialGroups === 'error') {
    throw new DassError(
      'DASS_INVALID_ARGUMENT',
      (field) =>
        `${name} [${rows}, ${cols}]: ${axis === 'in' ? 'input' : 'output'} dimension ${length} is not divisible by M=${m} ` +
        `(axis '${axis}'); set ${field('partialGroups')} to 'dense' to leave the last ${tail} ${axis === 'in' ? 'columns' : 'rows'} dense`,
      { field: 'sparsity' },
    );
  }
  return { fullGroups: Math.floor(length / m), tail, denseTailWeights: tail * (axis === 'in' ? rows : cols) };
}

/**
 * N:M mask (1 = pruned): in every group of M consecutive weights along `axis` the N lowest scores are zeroed
 * ('in': M consecutive columns of a row; 'out': M consecutive rows of a column). Ties: lower index first.
 * `name` labels the matrix in errors.
 */
export function selectNMMask(
  scores: ScoreArray,
  shape: MatrixShape,
  n: number,
  m: number,
  axis: NmAxis,
  partialGroups: PartialGroups = 'error',
  name = 'matrix',
): MaskSelection {
  validateMatrix(scores, shape, 'scores');
  nmPattern(n, m);
  const { fullGroups, denseTailWeights } = nmGroupLayout(shape, m, axis, partialGroups, name);
  const [rows, cols] = shape;
  assertNoNaN(scores, 'scores', cols);
  const mask = new Uint8Array(rows * cols);
  // A group's elements sit at base + i·step; groups along 'in' are contiguous, along 'out' one row apart.
  const step = axis === 'in' ? 1 : cols;
  const lanes = axis === 'in' ? rows : cols;
  const laneStride = axis === 'in' ? cols : 1;
  const groupStride = axis === 'in' ? m : m * cols;
  if (m === 4) {
    // The common case (1:4, 2:4, 3:4), unrolled: ranks by (score, index), earlier index wins ties.
    for (let g = 0; g < fullGroups; g++) {
      for (let lane = 0; lane < lanes; lane++) {
        const p0 = g * groupStride + lane * laneStride;
        const p1 = p0 + step;
        const p2 = p1 + step;
        const p3 = p2 + step;
        const a0 = scores[p0];
        const a1 = scores[p1];
        const a2 = scores[p2];
        const a3 = scores[p3];
        const r0 = (a1 < a0 ? 1 : 0) + (a2 < a0 ? 1 : 0) + (a3 < a0 ? 1 : 0);
        const r1 = (a0 <= a1 ? 1 : 0) + (a2 < a1 ? 1 : 0) + (a3 < a1 ? 1 : 0);
        const r2 = (a0 <= a2 ? 1 : 0) + (a1 <= a2 ? 1 : 0) + (a3 < a2 ? 1 : 0);
        const r3 = (a0 <= a3 ? 1 : 0) + (a1 <= a3 ? 1 : 0) + (a2 <= a3 ? 1 : 0);
        mask[p0] = r0 < n ? 1 : 0;
        mask[p1] = r1 < n ? 1 : 0;
        mask[p2] = r2 < n ? 1 : 0;
        mask[p3] = r3 < n ? 1 : 0;
      }
    }
  } else if (m <= RANK_COUNT_MAX_M) {
    for (let g = 0; g < fullGroups; g++) {
      for (let lane = 0; lane < lanes; lane++) {
        const base = g * groupStride + lane * laneStride;
        for (let i = 0; i < m; i++) {
          const si = scores[base + i * step];
          // rank = how many group members come before i in (score, index) order: earlier indices win ties
          let rank = 0;
          for (let j = 0; j < i; j++) rank += scores[base + j * step] <= si ? 1 : 0;
          for (let j = i + 1; j < m; j++) rank += scores[base + j * step] < si ? 1 : 0;
          if (rank < n) mask[base + i * step] = 1;
        }
      }
    }
  } else {
    const work = scratchLike(scores, m);
    for (let g = 0; g < fullGroups; g++) {
      for (let lane = 0; lane < lanes; lane++) {
        const base = g * groupStride + lane * laneStride;
        markSmallest(scores, base, step, m, n, mask, base, step, work);
      }
    }
  }
  return { mask, denseTailWeights };
}
