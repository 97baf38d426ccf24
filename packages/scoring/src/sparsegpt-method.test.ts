import { parseSparsity, runSparseGPT } from '@dass/nm-sparsify';
import { describe, expect, it } from 'vitest';
import { sparsegptMethod } from './sparsegpt-method.js';

describe('sparsegpt', () => {
  it('needs XᵀX, declares the OBS options, and prunes through its own step (no static score)', () => {
    expect(sparsegptMethod.needs).toContain('gram');
    expect(sparsegptMethod.options.map((o) => [o.name, o.default])).toEqual([
      ['percdamp', 0.01],
      ['blocksize', 128],
    ]);
    expect(sparsegptMethod.score).toBeUndefined();
    expect(sparsegptMethod.plan('down_proj')).toMatchObject({ group: 'row', nmAxis: 'in' });
  });

  it('its step is runSparseGPT with the resolved options, and names a missing Gram matrix', () => {
    const weight = new Float32Array([1, -2, 3, -4, 0.5, 2, -1, 1.5]);
    const gram = new Float64Array([4, 1, 0, 0, 1, 3, 0.5, 0, 0, 0.5, 2, 0.2, 0, 0, 0.2, 1]);
    const input = {
      weight,
      shape: [2, 4] as const,
      kind: 'up_proj' as const,
      stats: { inputSumSq: new Float64Array(4), gram, tokens: 2 },
      pattern: parseSparsity('2:4'),
      partialGroups: 'error' as const,
      options: { percdamp: 0.01, blocksize: 4 },
      name: 'm',
    };
    const direct = runSparseGPT({ weight, shape: [2, 4], gram, tokens: 2, pattern: parseSparsity('2:4'), blocksize: 4, percdamp: 0.01 });
    const step = sparsegptMethod.prune(input);
    expect(Array.from(step.weight)).toEqual(Array.from(direct.weight));
    expect(step.details?.obsError).toBe(direct.error);
    expect(() => sparsegptMethod.prune({ ...input, stats: { inputSumSq: new Float64Array(4), tokens: 2 } })).toThrow('m: sparsegpt needs XᵀX');
  });
});
