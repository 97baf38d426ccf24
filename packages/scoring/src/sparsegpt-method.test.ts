import { describe, expect, it } from 'vitest';
import { sparsegptMethod } from './sparsegpt-method.js';

describe('sparsegpt', () => {
  it('needs the Gram matrix, updates weights, and has no static score', () => {
    expect(sparsegptMethod).toMatchObject({ needsActivations: true, needsGram: true, updatesWeights: true });
    expect(sparsegptMethod.plan('down_proj')).toMatchObject({ group: 'row', nmAxis: 'in' });
    expect(() => sparsegptMethod.score(new Float32Array(4), [2, 2], 'up_proj', undefined)).toThrow(/runSparseGPT/);
  });
});
