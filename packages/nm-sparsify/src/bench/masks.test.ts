import { describe, expect, it } from 'vitest';
import { benchMasks } from './masks.js';

describe('benchMasks', () => {
  it('times every case on the given shapes, each selecting a mask that prunes exactly half the weights', () => {
    const rows = benchMasks({ shapes: [[64, 32]], repeats: 2 });
    expect(rows.map((r) => r.case)).toEqual(['64x32 2:4 in', '64x32 2:4 out', '64x32 0.5 row', '64x32 0.5 column']);
    // 2:4 zeroes 2 of every 4; 0.5 per row (32 columns) and per column (64 rows) splits evenly: exactly 1024 of 2048.
    expect(rows.map((r) => r.prunedFraction)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => benchMasks({ repeats: 0 })).toThrow('repeats: expected a positive integer, got 0');
  });
});
