import { describe, expect, it } from 'vitest';
import { applyMask } from './apply-mask.js';

describe('applyMask', () => {
  it('writes +0.0 where the mask is set and counts them', () => {
    const w = new Float32Array([-1.5, 2, -0, 3, -4]);
    expect(applyMask(w, new Uint8Array([1, 0, 1, 0, 1]))).toBe(3);
    expect(Array.from(w)).toEqual([0, 2, 0, 3, 0]);
    expect(Object.is(w[0], 0) && Object.is(w[2], 0) && Object.is(w[4], 0)).toBe(true);
    // an unmasked -0 stays as it was: only pruned weights are rewritten
    const v = new Float32Array([-0, 1]);
    applyMask(v, new Uint8Array([0, 1]));
    expect(Object.is(v[0], -0)).toBe(true);
  });

  it('rejects a mask of the wrong length', () => {
    expect(() => applyMask(new Float32Array(4), new Uint8Array(3), [2, 2])).toThrow('mask: length 3 does not match weight length 4 (shape [2, 2])');
    expect(() => applyMask(new Float32Array(4), [1, 0, 0, 0] as never)).toThrow('mask: expected a Uint8Array');
  });
});
