import { describe, expect, it } from 'vitest';
import { applyMask } from './apply-mask.js';
import { checkNM } from './check-nm.js';
import { selectNMMask } from './nm-mask.js';
import { randomMatrix } from './test-support/seeded-random.js';

describe('checkNM', () => {
  const w = new Float32Array([
    0,
    1,
    0,
    2,
    /**/ 0,
    0,
    3,
    4,
    5,
    0,
    0,
    6,
    /**/ 7,
    0,
    8,
    9, // second group has one zero: violates 2:4 along 'in'
  ]);
  it('finds violating groups along in', () => {
    expect(checkNM(w, [2, 8], 2, 4, 'in')).toEqual({
      valid: false,
      groups: 4,
      violatingGroups: 1,
      firstViolation: { row: 1, col: 4, zeros: 1 },
      uncheckedTailWeights: 0,
    });
    expect(checkNM(w, [2, 8], 1, 4, 'in')).toMatchObject({ valid: true, groups: 4, violatingGroups: 0 });
    expect(checkNM(w, [2, 8], 1, 4, 'in').firstViolation).toBeUndefined();
  });
  it('checks along out (pairs of rows per column)', () => {
    // columns: (0,5) (1,0) (0,0) (2,6) (0,7) (0,0) (3,8) (4,9): columns 3, 6, 7 have no zero
    expect(checkNM(w, [2, 8], 1, 2, 'out')).toEqual({
      valid: false,
      groups: 8,
      violatingGroups: 3,
      firstViolation: { row: 0, col: 3, zeros: 0 },
      uncheckedTailWeights: 0,
    });
  });
  it('counts -0 as zero and handles dense tails', () => {
    const v = new Float32Array([-0, 0, 1, 1, 1]);
    expect(checkNM(v, [1, 5], 2, 4, 'in', 'dense')).toEqual({ valid: true, groups: 1, violatingGroups: 0, uncheckedTailWeights: 1 });
    expect(() => checkNM(v, [1, 5], 2, 4, 'in')).toThrow('weights [1, 5]: input dimension 5 is not divisible by M=4');
  });
  it('a selected and applied mask always verifies', () => {
    for (const axis of ['in', 'out'] as const) {
      const weights = randomMatrix(16, 16, 3);
      applyMask(weights, selectNMMask(weights, [16, 16], 5, 8, axis).mask);
      expect(checkNM(weights, [16, 16], 5, 8, axis).valid).toBe(true);
      // the other axis is (for random weights) not N:M
      expect(checkNM(weights, [16, 16], 5, 8, axis === 'in' ? 'out' : 'in').valid).toBe(false);
    }
  });
});
