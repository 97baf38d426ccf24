import { describe, expect, it } from 'vitest';
import { packBitmask, transposeMatrix, unpackBitmask } from './bitmask.js';
import { randomMatrix } from './test-support/seeded-random.js';

describe('packBitmask', () => {
  it('little bit order, rows padded to whole bytes (hand-worked)', () => {
    const mask = new Uint8Array([1, 0, 1, 1, 0, 0, 0, 0, /**/ 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, /**/ 0, 1]);
    const packed = packBitmask(mask, [2, 10]);
    expect(packed.shape).toEqual([2, 2]);
    // row 0: bits 0,2,3 -> 13; bit 0 of the second byte -> 1. row 1: bit 7 -> 128; element 9 = bit 1 -> 2.
    expect(Array.from(packed.bytes)).toEqual([13, 1, 128, 2]);
    expect(Array.from(unpackBitmask(packed.bytes, [2, 10]))).toEqual(Array.from(mask));
  });

  it('round-trips random masks of awkward shapes', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 7],
      [5, 8],
      [7, 13],
      [2, 65],
    ] as const) {
      const mask = Uint8Array.from(randomMatrix(rows, cols, rows * cols, 2));
      expect(unpackBitmask(packBitmask(mask, [rows, cols]).bytes, [rows, cols])).toEqual(mask);
    }
  });

  it('rejects wrong lengths and set padding bits', () => {
    expect(() => unpackBitmask(new Uint8Array(3), [2, 10])).toThrow('bytes: expected 4 bytes ([2, 2]) for a [2, 10] mask, got 3');
    expect(() => unpackBitmask(new Uint8Array([0, 4]), [2, 2])).toThrow('row 1 has padding bits set beyond column 2');
    expect(() => packBitmask(new Uint8Array(5), [2, 2])).toThrow('mask: length 5 does not match shape [2, 2]');
  });
});

describe('transposeMatrix', () => {
  it('transposes in both directions', () => {
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(transposeMatrix(m, [2, 3]))).toEqual([1, 4, 2, 5, 3, 6]);
    const big = randomMatrix(70, 45, 1);
    expect(transposeMatrix(transposeMatrix(big, [70, 45]), [45, 70])).toEqual(big);
  });
});
