import { describe, expect, it } from 'vitest';
import { columnGroups, firstDifference, maskRows, referenceMask, rowGroups } from './test-support/reference-mask.js';
import { randomMatrix } from './test-support/seeded-random.js';
import { prunedPerGroup, selectUnstructuredMask } from './unstructured-mask.js';

// Hand-worked 4×4 scores with ties (two 1s in row 0, three 5s, two 6s, three 9s).
const S = new Float32Array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 6]);
const SHAPE = [4, 4] as const;

describe('selectUnstructuredMask, hand-worked', () => {
  it('row groups', () => {
    // row 2 [5,3,5,8]: 3 first, then the tie 5@0 vs 5@2 goes to the lower index.
    expect(maskRows(selectUnstructuredMask(S, SHAPE, 0.5, 'row'), 4)).toEqual(['0101', '1010', '1100', '0101']);
    expect(maskRows(selectUnstructuredMask(S, SHAPE, 0.25, 'row'), 4)).toEqual(['0100', '0010', '0100', '0001']);
  });

  it('column groups', () => {
    // col 0 [3,5,5,9]: rows 0 and 1 (tie 5@1 vs 5@2); col 3 [1,6,8,6]: rows 0 and 1 (tie 6@1 vs 6@3).
    expect(maskRows(selectUnstructuredMask(S, SHAPE, 0.5, 'column'), 4)).toEqual(['1111', '1011', '0100', '0000']);
    expect(maskRows(selectUnstructuredMask(S, SHAPE, 0.25, 'column'), 4)).toEqual(['1101', '0010', '0000', '0000']);
  });

  it('matrix group', () => {
    // 8 smallest: 1,1,2,3,3,4,5@(1,0),5@(2,0); 5@(2,2) loses the tie.
    expect(maskRows(selectUnstructuredMask(S, SHAPE, 0.5, 'matrix'), 4)).toEqual(['1111', '1010', '1100', '0000']);
    // 12 smallest: keeps only 8 and the three 9s.
    expect(maskRows(selectUnstructuredMask(S, SHAPE, 0.75, 'matrix'), 4)).toEqual(['1111', '1011', '1110', '0101']);
  });

  it('all-equal scores prune the lowest indices', () => {
    const flat = new Float32Array(16).fill(7);
    expect(maskRows(selectUnstructuredMask(flat, SHAPE, 0.5, 'row'), 4)).toEqual(['1100', '1100', '1100', '1100']);
    expect(maskRows(selectUnstructuredMask(flat, SHAPE, 0.5, 'column'), 4)).toEqual(['1111', '1111', '0000', '0000']);
    expect(maskRows(selectUnstructuredMask(flat, SHAPE, 0.5, 'matrix'), 4)).toEqual(['1111', '1111', '0000', '0000']);
  });

  it('ratio 0 prunes nothing; floor rounding', () => {
    expect(selectUnstructuredMask(S, SHAPE, 0, 'matrix').every((v) => v === 0)).toBe(true);
    expect(prunedPerGroup(7, 0.5)).toBe(3);
    expect(prunedPerGroup(10, 0.7)).toBe(7);
  });
});

describe('selectUnstructuredMask, properties', () => {
  const cases = [
    { rows: 7, cols: 13, levels: 0 },
    { rows: 9, cols: 11, levels: 3 }, // many ties
    { rows: 3, cols: 1500, levels: 40 }, // rows long enough for the sampled (Floyd–Rivest) path
    { rows: 700, cols: 70, levels: 5 }, // columns spanning two gather blocks, long enough to sample
  ];
  for (const { rows, cols, levels } of cases) {
    for (const ratio of [0.1, 0.5, 0.73]) {
      it(`${rows}x${cols} levels=${levels} ratio=${ratio} equals a full stable sort`, () => {
        const scores = randomMatrix(rows, cols, rows * 31 + cols + levels, levels);
        const row = selectUnstructuredMask(scores, [rows, cols], ratio, 'row');
        expect(firstDifference(row, referenceMask(scores, rowGroups(rows, cols), Math.floor(cols * ratio)))).toBe(-1);
        const col = selectUnstructuredMask(scores, [rows, cols], ratio, 'column');
        expect(firstDifference(col, referenceMask(scores, columnGroups(rows, cols), Math.floor(rows * ratio)))).toBe(-1);
        const all = selectUnstructuredMask(scores, [rows, cols], ratio, 'matrix');
        const everything = [Array.from({ length: rows * cols }, (_, i) => i)];
        expect(firstDifference(all, referenceMask(scores, everything, Math.floor(rows * cols * ratio)))).toBe(-1);
        // exact per-group counts
        for (const g of rowGroups(rows, cols)) expect(g.filter((i) => row[i]).length).toBe(Math.floor(cols * ratio));
        for (const g of columnGroups(rows, cols)) expect(g.filter((i) => col[i]).length).toBe(Math.floor(rows * ratio));
      });
    }
  }

  it('float64 scores are compared at full precision', () => {
    const scores = new Float64Array([1 + 1e-12, 1, 1 + 2e-12, 1 + 3e-12]);
    expect(maskRows(selectUnstructuredMask(scores, [1, 4], 0.5, 'row'), 4)).toEqual(['1100']);
  });
});

describe('selectUnstructuredMask, validation', () => {
  it('names the bad argument', () => {
    expect(() => selectUnstructuredMask(S, [4, 3], 0.5, 'row')).toThrow('scores: length 16 does not match shape [4, 3]');
    expect(() => selectUnstructuredMask(S, [4, 4], 1, 'row')).toThrow('got "1"');
    expect(() => selectUnstructuredMask(S, [4, 4], 0.5, 'diagonal' as never)).toThrow('got "diagonal"');
    expect(() => selectUnstructuredMask(S, [0, 16] as never, 0.5, 'row')).toThrow('shape: expected');
    const bad = S.slice();
    bad[6] = Number.NaN;
    expect(() => selectUnstructuredMask(bad, SHAPE, 0.5, 'row')).toThrow('scores: NaN at [1, 2]');
  });
});
