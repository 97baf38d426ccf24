import { describe, expect, it } from 'vitest';
import { benchMasks } from './bench.js';

describe('benchMasks', () => {
  it('times every case on the given shapes', () => {
    const rows = benchMasks({ shapes: [[64, 32]], repeats: 2 });
    expect(rows.map((r) => r.case)).toEqual(['64x32 2:4 in', '64x32 2:4 out', '64x32 0.5 row', '64x32 0.5 column']);
    for (const r of rows) expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(() => benchMasks({ repeats: 0 })).toThrow('repeats: expected a positive integer, got 0');
  });
});
