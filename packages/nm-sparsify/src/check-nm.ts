import type { MatrixShape, NmAxis, PartialGroups } from './mask-types.js';
import { validateMatrix } from './matrix-shape.js';
import { nmGroupLayout } from './nm-mask.js';
import { nmPattern } from './sparsity-pattern.js';

export interface NmCheck {
  /** Every complete group has at least N zeros. */
  valid: boolean;
  /** Complete groups checked. */
  groups: number;
  violatingGroups: number;
  /** The first violating group in row-major order of its first element. */
  firstViolation?: { row: number; col: number; zeros: number };
  /** Weights in incomplete tail groups, not checked (only with partialGroups 'dense'). */
  uncheckedTailWeights: number;
}

/** Verifies an N:M pattern on actual weights: a group of M along `axis` is valid if it holds at least N zeros. */
export function checkNM(
  weights: Float32Array | Float64Array,
  shape: MatrixShape,
  n: number,
  m: number,
  axis: NmAxis,
  partialGroups: PartialGroups = 'error',
): NmCheck {
  validateMatrix(weights, shape, 'weights');
  nmPattern(n, m);
  const { fullGroups, denseTailWeights } = nmGroupLayout(shape, m, axis, partialGroups, 'weights');
  const [rows, cols] = shape;
  const step = axis === 'in' ? 1 : cols;
  let violatingGroups = 0;
  let firstViolation: NmCheck['firstViolation'];
  // Visit groups in row-major order of their first element so `firstViolation` is the first one a reader meets.
  const groupRows = axis === 'in' ? rows : fullGroups;
  const groupCols = axis === 'in' ? fullGroups : cols;
  for (let gr = 0; gr < groupRows; gr++) {
    for (let gc = 0; gc < groupCols; gc++) {
      const row = axis === 'in' ? gr : gr * m;
      const col = axis === 'in' ? gc * m : gc;
      const base = row * cols + col;
      let zeros = 0;
      for (let i = 0; i < m; i++) if (weights[base + i * step] === 0) zeros++;
      if (zeros < n) {
        violatingGroups++;
        firstViolation ??= { row, col, zeros };
      }
    }
  }
  const result: NmCheck = {
    valid: violatingGroups === 0,
    groups: groupRows * groupCols,
    violatingGroups,
    uncheckedTailWeights: denseTailWeights,
  };
  if (firstViolation) result.firstViolation = firstViolation;
  return result;
}
