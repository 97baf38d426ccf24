import { describe, expect, it } from 'vitest';
import { wandaMethod } from './wanda-method.js';

// Hand-worked: s = [4, 1, 0, 9] so sqrt(s) = [2, 1, 0, 3].
const W = new Float32Array([1, -2, 3, -4, -5, 6, -7, 8, 2, -1, 0, 0.5, -3, 4, -2, 1]);
const stats = { inputSumSq: new Float64Array([4, 1, 0, 9]), tokens: 10 };

describe('wanda', () => {
  it('scores |W_ij|·sqrt(s_j), row groups, N:M along in', () => {
    expect(Array.from(wandaMethod.score(W, [4, 4], 'q_proj', stats))).toEqual([2, 2, 0, 12, 10, 6, 0, 24, 4, 1, 0, 1.5, 6, 4, 0, 3]);
    for (const kind of ['q_proj', 'gate_proj', 'down_proj'] as const) {
      expect(wandaMethod.plan(kind)).toMatchObject({ group: 'row', nmAxis: 'in' });
    }
  });
  it('names the projection and lengths when stats do not fit', () => {
    expect(() => wandaMethod.score(W, [4, 4], 'k_proj', { inputSumSq: new Float64Array(3), tokens: 1 })).toThrow(
      'wanda k_proj: stats.inputSumSq has length 3, expected 4 (the input dimension of [4, 4])',
    );
    expect(() => wandaMethod.score(W, [4, 4], 'k_proj', undefined)).toThrow('wanda k_proj: stats: expected calibration statistics');
    expect(() => wandaMethod.score(W, [4, 4], 'k_proj', { inputSumSq: new Float64Array([1, -1, 0, 0]), tokens: 1 })).toThrow('stats.inputSumSq[1] = -1');
    expect(() => wandaMethod.score(W, [4, 4], 'k_proj', { inputSumSq: new Float64Array([1, NaN, 0, 0]), tokens: 1 })).toThrow('stats.inputSumSq[1] = NaN');
    expect(() => wandaMethod.score(W, [4, 4], 'v_proj', { ...stats, tokens: -1 })).toThrow(
      'wanda v_proj: stats.tokens: expected a non-negative integer, got -1',
    );
  });
});
