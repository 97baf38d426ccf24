import { describe, expect, it } from 'vitest';
import { benchSparseGPT } from './sparsegpt-bench.js';

describe('benchSparseGPT', () => {
  it('times the linear algebra once per Gram order and SparseGPT once per case', async () => {
    const rows = await benchSparseGPT({ cases: [{ rows: 48, cols: 64 }, { rows: 96, cols: 64 }, { rows: 32, cols: 128 }], tokens: 32, matmul: 'plain' });
    expect(rows.map((r) => r.case)).toEqual([
      'upperCholeskyOfInverse 64',
      'upperCholeskyOfInverse 128',
      'sparsegpt 2:4 48×64 (plain)',
      'sparsegpt 2:4 96×64 (plain)',
      'sparsegpt 2:4 32×128 (plain)',
    ]);
    for (const row of rows) expect(row.ms).toBeGreaterThan(0);
  });

  it('names the pattern it ran and rejects bad cases', async () => {
    const rows = await benchSparseGPT({ cases: [{ rows: 8, cols: 32 }], pattern: { kind: 'unstructured', ratio: 0.5 }, tokens: 16 });
    expect(rows[1]!.case).toBe('sparsegpt 0.5 8×32 (plain)');
    await expect(benchSparseGPT({ cases: [{ rows: 0, cols: 4 }] })).rejects.toThrow('cases: expected positive integer rows and cols, got {"rows":0,"cols":4}');
    await expect(benchSparseGPT({ cases: [] })).rejects.toThrow('cases: expected a non-empty array');
  });
});
