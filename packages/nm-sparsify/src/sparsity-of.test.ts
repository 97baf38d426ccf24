import { describe, expect, it } from 'vitest';
import { sparsityOf } from './sparsity-of.js';

describe('sparsityOf', () => {
  it('counts +0 and -0', () => {
    expect(sparsityOf(new Float32Array([0, -0, 1e-30, 2]))).toEqual({ zeros: 2, total: 4, ratio: 0.5 });
    expect(sparsityOf(new Float64Array(0))).toEqual({ zeros: 0, total: 0, ratio: 0 });
  });
  it('rejects non-float arrays', () => {
    expect(() => sparsityOf([0, 1] as never)).toThrow('weights: expected a Float32Array or Float64Array');
  });
});
