import { describe, expect, it } from 'vitest';
import { magnitudeMethod } from './magnitude-method.js';

describe('magnitude', () => {
  it('scores |W| and compares over the whole matrix, N:M along in', () => {
    const w = new Float32Array([1, -2, 3, -4, -0, 0.5]);
    expect(Array.from(magnitudeMethod.score(w, [2, 3], 'up_proj', undefined))).toEqual([1, 2, 3, 4, 0, 0.5]);
    expect(magnitudeMethod.plan('gate_proj')).toEqual({ group: 'matrix', nmAxis: 'in', scoreKind: '|W|' });
    expect(magnitudeMethod.needs).toEqual([]);
  });
  it('validates weight, shape and kind', () => {
    expect(() => magnitudeMethod.score(new Float32Array(5), [2, 3], 'up_proj', undefined)).toThrow(
      'magnitude up_proj: weight has length 5, expected 6 for shape [2, 3]',
    );
    expect(() => magnitudeMethod.score(new Float32Array(6), [2, 3], 'mlp' as never, undefined)).toThrow('kind: expected one of');
    expect(() => magnitudeMethod.plan('lm_head' as never)).toThrow('got "lm_head"');
    expect(() => magnitudeMethod.score(new Float64Array(6) as never, [2, 3], 'up_proj', undefined)).toThrow(
      'weight: expected a Float32Array, got Float64Array',
    );
    expect(() => magnitudeMethod.score(new Float32Array(6), [2, -3] as never, 'up_proj', undefined)).toThrow('shape: expected [out, in]');
  });
});
