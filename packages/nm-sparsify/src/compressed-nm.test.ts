import { describe, expect, it } from 'vitest';
import { applyMask } from './apply-mask.js';
import { compressNM, decompressNM } from './compressed-nm.js';
import { selectNMMask } from './nm-mask.js';
import { randomMatrix } from './test-support/seeded-random.js';

describe('compressNM', () => {
  it('stores kept values in order with a kept-position bitmask (hand-worked 2:4)', () => {
    const w = new Float32Array([1, -2, 3, -4, /**/ -5, 6, -7, 8, /**/ 2, -1, 0, 0.5]);
    const mask = new Uint8Array([1, 0, 1, 0, /**/ 0, 1, 1, 0, /**/ 0, 1, 1, 0]);
    const c = compressNM(w, mask, [3, 4], 2, 4);
    expect(c.valuesShape).toEqual([3, 2]);
    expect(Array.from(c.values)).toEqual([-2, -4, -5, 8, 2, 0.5]);
    expect(c.keptShape).toEqual([3, 1]);
    expect(Array.from(c.kept)).toEqual([0b1010, 0b1001, 0b1001]);
    expect(Array.from(decompressNM(c.values, c.kept, [3, 4]))).toEqual([0, -2, 0, -4, -5, 0, 0, 8, 2, 0, 0, 0.5]);
  });

  it('reconstructs the pruned matrix exactly (random 2:4, 5:8)', () => {
    for (const [n, m] of [
      [2, 4],
      [5, 8],
      [1, 4],
    ] as const) {
      const w = randomMatrix(9, 4 * m, n + m);
      const { mask } = selectNMMask(w, [9, 4 * m], n, m, 'in');
      const c = compressNM(w, mask, [9, 4 * m], n, m);
      applyMask(w, mask);
      expect(decompressNM(c.values, c.kept, [9, 4 * m])).toEqual(w);
      expect(c.values.length).toBe((9 * 4 * m * (m - n)) / m);
    }
  });

  it('rejects masks that are not exactly N:M along in', () => {
    const w = new Float32Array(8);
    expect(() => compressNM(w, new Uint8Array([1, 1, 1, 0, 1, 1, 0, 0]), [2, 4], 2, 4)).toThrow(
      'mask: row 0, columns 0..3 prune 3 weights, expected exactly 2 (2:4)',
    );
    expect(() => compressNM(new Float32Array(6), new Uint8Array(6), [1, 6], 2, 4)).toThrow('6 columns are not divisible by M=4');
    expect(() => decompressNM(new Float32Array(3), new Uint8Array([0b1010]), [1, 4])).toThrow('keeps 2 positions');
  });
});
