import { describe, expect, it } from 'vitest';
import { halvesToInterleavedRows, interleavedToHalvesRows } from './checkpoint.js';
import { openLlama2c } from './open-llama2c.js';

describe('q/k row permutation between llama2.c and HF layouts (hand-worked)', () => {
  // 2 heads of headDim 4, 1 column: llama2.c rows per head are pairs (x0, y0, x1, y1); HF wants (x0, x1, y0, y1).
  const interleaved = Float32Array.from([10, 11, 12, 13, 20, 21, 22, 23]);
  const halves = Float32Array.from([10, 12, 11, 13, 20, 22, 21, 23]);

  it("moves each head's even rows to its first half and odd rows to its second", () => {
    expect(interleavedToHalvesRows(interleaved, 8, 1, 2)).toEqual(halves);
    expect(halvesToInterleavedRows(halves, 8, 1, 2)).toEqual(interleaved);
  });

  it('moves whole rows (2 columns) and the two directions are inverses', () => {
    // One head of headDim 4, rows [r0, r1, r2, r3] of 2 columns each -> [r0, r2, r1, r3].
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(interleavedToHalvesRows(rows, 4, 2, 1))).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
    expect(halvesToInterleavedRows(interleavedToHalvesRows(rows, 4, 2, 1), 4, 2, 1)).toEqual(rows);
  });
});

describe('openLlama2c', () => {
  it('names a bad path argument', async () => {
    await expect(openLlama2c('')).rejects.toMatchObject({ reason: 'BAD_VALUE', message: ': path: expected a llama2.c .bin file, got ""' });
  });
});
