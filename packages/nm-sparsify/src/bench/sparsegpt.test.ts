import { describe, expect, it } from 'vitest';
import { benchSparseGPT, checkSparseGPTAccuracy } from './sparsegpt.js';

describe('benchSparseGPT', () => {
  it('times the linear algebra once per Gram order and SparseGPT once per case', async () => {
    const rows = await benchSparseGPT({
      cases: [
        { rows: 48, cols: 64 },
        { rows: 96, cols: 64 },
        { rows: 32, cols: 128 },
      ],
      tokens: 32,
      matmul: 'plain',
    });
    expect(rows.map((r) => r.case)).toEqual([
      'upperCholeskyOfInverse 64 (float64)',
      'upperCholeskyOfInverse 128 (float64)',
      'sparsegpt 2:4 48×64 (plain)',
      'sparsegpt 2:4 96×64 (plain)',
      'sparsegpt 2:4 32×128 (plain)',
    ]);
    for (const row of rows) {
      expect(row.ms).toBeGreaterThan(0);
      expect(row.cpuMs).toBeGreaterThan(0);
    }
  });

  it('names the pattern it ran and rejects bad cases', async () => {
    const rows = await benchSparseGPT({ cases: [{ rows: 8, cols: 32 }], pattern: { kind: 'unstructured', ratio: 0.5 }, tokens: 16 });
    expect(rows.map((r) => r.case)).toEqual(['upperCholeskyOfInverse 32 (blocked float32)', 'sparsegpt 0.5 8×32 (plain)']);
    const both = await benchSparseGPT({ cases: [{ rows: 8, cols: 300 }], tokens: 16, float64Inverse: true });
    expect(both.map((r) => r.case)).toEqual([
      'upperCholeskyOfInverse 300 (blocked float32)',
      'upperCholeskyOfInverse 300 (float64)',
      'sparsegpt 2:4 8×300 (plain)',
    ]);
    await expect(benchSparseGPT({ cases: [{ rows: 0, cols: 4 }] })).rejects.toThrow('cases: expected positive integer rows and cols, got {"rows":0,"cols":4}');
    await expect(benchSparseGPT({ cases: [] })).rejects.toThrow('cases: expected a non-empty array');
  });

  it('checkSparseGPTAccuracy compares the float32 and float64 paths on a random correlated layer', async () => {
    const report = await checkSparseGPTAccuracy({ cols: 320, rows: 16, tokens: 256 });
    expect(report.case).toBe('sparsegpt 2:4 16×320, Gram of 256 random correlated activations');
    expect(report.maskAgreement).toBeGreaterThanOrEqual(0.999);
    expect(Math.abs(report.errorRatioMinusOne)).toBeLessThan(0.01);
    expect(report.errorFloat64).toBeGreaterThan(0);
    expect(report.inverseResidualFloat64).toBeLessThan(1e-9);
    expect(report.inverseResidualFloat32).toBeLessThan(1e-2);
    await expect(checkSparseGPTAccuracy({ cols: 0 })).rejects.toThrow('cols: expected a positive integer, got 0');
  });
});
