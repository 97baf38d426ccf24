import { describe, expect, it } from 'vitest';
import { selectNMMask } from './nm-mask.js';
import { maskRows, nmGroups, referenceMask } from './test-support/reference-mask.js';
import { randomMatrix } from './test-support/seeded-random.js';

const S = new Float32Array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 6]);
const SHAPE = [4, 4] as const;
const rowsOf = (n: number, m: number, axis: 'in' | 'out') => maskRows(selectNMMask(S, SHAPE, n, m, axis).mask, 4);

describe('selectNMMask, hand-worked', () => {
  it('2:4 along in (per row) and out (per column)', () => {
    expect(rowsOf(2, 4, 'in')).toEqual(['0101', '1010', '1100', '0101']);
    expect(rowsOf(2, 4, 'out')).toEqual(['1111', '1011', '0100', '0000']);
  });
  it('1:4 and 3:4 along in', () => {
    expect(rowsOf(1, 4, 'in')).toEqual(['0100', '0010', '0100', '0001']);
    // row 3 [9,7,9,6]: the third zero goes to 9@0 (tie with 9@2)
    expect(rowsOf(3, 4, 'in')).toEqual(['1101', '1011', '1110', '1101']);
  });
  it('1:2 along in and out', () => {
    expect(rowsOf(1, 2, 'in')).toEqual(['0101', '1010', '0110', '0101']);
    expect(rowsOf(1, 2, 'out')).toEqual(['1101', '0010', '1110', '0001']);
  });
  it('all-equal scores prune the first N of each group', () => {
    const flat = new Float32Array(16).fill(2);
    expect(maskRows(selectNMMask(flat, SHAPE, 2, 4, 'in').mask, 4)).toEqual(['1100', '1100', '1100', '1100']);
    expect(maskRows(selectNMMask(flat, SHAPE, 2, 4, 'out').mask, 4)).toEqual(['1111', '1111', '0000', '0000']);
  });
});

describe('selectNMMask, partial groups', () => {
  const scores = randomMatrix(3, 6, 5);
  it('errors naming the matrix and shape', () => {
    expect(() => selectNMMask(scores, [3, 6], 2, 4, 'in', 'error', 'layers.0.mlp.down_proj')).toThrow(
      'layers.0.mlp.down_proj [3, 6]: input dimension 6 is not divisible by M=4',
    );
    expect(() => selectNMMask(scores, [3, 6], 2, 4, 'out')).toThrow('matrix [3, 6]: output dimension 3');
  });
  it("'dense' leaves the tail dense and counts it", () => {
    const inAxis = selectNMMask(scores, [3, 6], 2, 4, 'in', 'dense');
    expect(inAxis.denseTailWeights).toBe(6);
    expect(inAxis.mask).toEqual(referenceMask(scores, nmGroups(3, 6, 4, 'in'), 2));
    for (let r = 0; r < 3; r++) expect([inAxis.mask[r * 6 + 4], inAxis.mask[r * 6 + 5]]).toEqual([0, 0]);
    const outAxis = selectNMMask(scores, [3, 6], 1, 2, 'out', 'dense');
    expect(outAxis.denseTailWeights).toBe(6);
    expect(maskRows(outAxis.mask, 6)[2]).toBe('000000');
    expect(outAxis.mask).toEqual(referenceMask(scores, nmGroups(3, 6, 2, 'out'), 1));
  });
});

describe('selectNMMask, properties', () => {
  const patterns = [
    [2, 4],
    [1, 4],
    [3, 4],
    [4, 8],
    [5, 8],
    [7, 16],
    [20, 40], // beyond the rank-count limit: the selection path
  ] as const;
  for (const [n, m] of patterns) {
    for (const axis of ['in', 'out'] as const) {
      for (const levels of [0, 3]) {
        it(`${n}:${m} ${axis} levels=${levels}: exactly N per group, equals a full stable sort`, () => {
          const rows = axis === 'out' ? 2 * m : 5;
          const cols = axis === 'in' ? 3 * m : 7;
          const scores = randomMatrix(rows, cols, n * 100 + m + levels, levels);
          const { mask, denseTailWeights } = selectNMMask(scores, [rows, cols], n, m, axis);
          expect(denseTailWeights).toBe(0);
          const groups = nmGroups(rows, cols, m, axis);
          for (const g of groups) expect(g.filter((i) => mask[i]).length).toBe(n);
          expect(mask).toEqual(referenceMask(scores, groups, n));
        });
      }
    }
  }
});

describe('selectNMMask, validation', () => {
  it('names the bad argument', () => {
    expect(() => selectNMMask(S, SHAPE, 4, 4, 'in')).toThrow('got "4:4"');
    expect(() => selectNMMask(S, SHAPE, 2, 4, 'sideways' as never)).toThrow(`axis: expected 'in' or 'out', got "sideways"`);
    expect(() => selectNMMask(S, SHAPE, 2, 4, 'in', 'maybe' as never)).toThrow('partialGroups');
    expect(() => selectNMMask(S, [2, 4], 2, 4, 'in')).toThrow('scores: length 16 does not match shape [2, 4]');
  });
});
