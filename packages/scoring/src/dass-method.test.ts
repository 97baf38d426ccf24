import { describe, expect, it } from 'vitest';
import { dassMethod } from './dass-method.js';
import { wandaMethod } from './wanda-method.js';

const W = new Float32Array([1, -2, 3, -4, -5, 6, -7, 8, 2, -1, 0, 0.5, -3, 4, -2, 1]);
// s^down = ‖h_i‖² = [16, 1, 0, 81]: ‖h_i‖^0.5 = (s^down)^0.25 = [2, 1, 0, 3].
const stats = { inputSumSq: new Float64Array([4, 1, 0, 9]), downInputSumSq: new Float64Array([16, 1, 0, 81]), tokens: 8 };

describe('dass', () => {
  it('gate/up: |W_ij|·(s^down_i)^(α/2), α = 0.5 by default', () => {
    expect(Array.from(dassMethod.score(W, [4, 4], 'gate_proj', stats))).toEqual([2, 4, 6, 8, 5, 6, 7, 8, 0, 0, 0, 0, 9, 12, 6, 3]);
    expect(Array.from(dassMethod.score(W, [4, 4], 'up_proj', stats, { alpha: 1 }))).toEqual([4, 8, 12, 16, 5, 6, 7, 8, 0, 0, 0, 0, 27, 36, 18, 9]);
    // α = 0: plain magnitude, even for the silent neuron (0^0 = 1)
    expect(Array.from(dassMethod.score(W, [4, 4], 'up_proj', stats, { alpha: 0 }))).toEqual(Array.from(W, Math.abs));
  });

  it('gate/up compare down each input column with N:M along out; down and attention are wanda', () => {
    expect(dassMethod.plan('gate_proj')).toMatchObject({ group: 'column', nmAxis: 'out' });
    expect(dassMethod.plan('up_proj')).toMatchObject({ group: 'column', nmAxis: 'out' });
    for (const kind of ['down_proj', 'q_proj', 'k_proj', 'v_proj', 'o_proj'] as const) {
      expect(dassMethod.plan(kind)).toEqual(wandaMethod.plan(kind));
      expect(dassMethod.score(W, [4, 4], kind, stats)).toEqual(wandaMethod.score(W, [4, 4], kind, stats));
    }
  });

  it('validates α and the neuron statistics', () => {
    for (const alpha of [-0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => dassMethod.score(W, [4, 4], 'gate_proj', stats, { alpha })).toThrow(`dass: alpha: expected a finite number >= 0, got ${alpha}`);
    }
    expect(() => dassMethod.score(W, [4, 4], 'down_proj', stats, { alpha: -1 })).toThrow('alpha');
    expect(() => dassMethod.score(W, [4, 4], 'up_proj', { inputSumSq: stats.inputSumSq, tokens: 8 })).toThrow(
      'dass up_proj: stats.downInputSumSq: expected a Float64Array of length 4, got undefined',
    );
    // a gate_proj of [3, 4] needs ‖h‖² of length 3 (d_int), not the input length
    expect(() => dassMethod.score(new Float32Array(12), [3, 4], 'gate_proj', stats)).toThrow(
      'dass gate_proj: stats.downInputSumSq has length 4, expected 3 (the output dimension (d_int) of [3, 4]',
    );
  });
});
