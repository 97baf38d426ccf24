import { parseSparsity, selectMask } from '@dass/nm-sparsify';
import { describe, expect, it } from 'vitest';
import { riaMethod, riaScores } from './ria-method.js';

// Hand-worked 2×3: |W| column sums [5, 2, 4], row sums [6, 5]; s = [4, 1, 9] so ‖X_j‖ = [2, 1, 3] and
// ‖X_j‖^0.5 = [√2, 1, √3].
const W = new Float32Array([1, -2, 3, 4, 0, -1]);
const stats = { inputSumSq: new Float64Array([4, 1, 9]), tokens: 3 };

describe('ria (Zhang et al. 2024)', () => {
  it('scores (|W_ij|/Σ_k|W_kj| + |W_ij|/Σ_k|W_ik|)·‖X_j‖^a, a = 0.5 by default', () => {
    const expected = [
      (1 / 5 + 1 / 6) * Math.SQRT2,
      (2 / 2 + 2 / 6) * 1,
      (3 / 4 + 3 / 6) * Math.sqrt(3),
      (4 / 5 + 4 / 5) * Math.SQRT2,
      0,
      (1 / 4 + 1 / 5) * Math.sqrt(3),
    ];
    const scores = riaScores(W, [2, 3], 'up_proj', stats);
    expected.forEach((v, i) => expect(scores[i]).toBeCloseTo(v, 6));
    // a = 0: relative importance alone ("ri" in the authors' code)
    const ri = riaScores(W, [2, 3], 'up_proj', stats, { alpha: 0 });
    [1 / 5 + 1 / 6, 4 / 3, 1.25, 1.6, 0, 0.45].forEach((v, i) => expect(ri[i]).toBeCloseTo(v, 6));
  });

  it('compares over the whole matrix (unstructured) and along in (N:M), as the authors default', () => {
    expect(riaMethod.plan('down_proj')).toMatchObject({ group: 'matrix', nmAxis: 'in' });
    // scores ≈ [0.519, 1.333, 2.165 | 2.263, 0, 0.779]: the three lowest over the matrix are (1,1), (0,0), (1,2)
    const { mask } = selectMask(riaMethod.score(W, [2, 3], 'up_proj', stats), [2, 3], parseSparsity('0.5'), riaMethod.plan('up_proj'));
    expect(Array.from(mask)).toEqual([1, 0, 0, 0, 1, 1]);
    // per row (Wanda's group) row 0 would keep (0,0) and prune (0,1): the matrix group is what differs
    const nm = selectMask(
      riaMethod.score(new Float32Array([1, -2, 3, 0.5, 4, 0, -1, 2]), [2, 4], 'up_proj', { inputSumSq: new Float64Array([4, 1, 9, 1]), tokens: 1 }),
      [2, 4],
      parseSparsity('2:4'),
      riaMethod.plan('up_proj'),
    );
    // row 0: |W| [1,2,3,.5], col sums [5,2,4,2.5], row sum 6.5 → [.354·√2, 1.308, 1.212·√3, .277] → prune cols 0 and 3
    // row 1: |W| [4,0,1,2], row sum 7 → [1.371·√2, 0, .393·√3, 1.086] → prune cols 1 and 2
    expect(Array.from(nm.mask)).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
  });

  it('checks its statistics and exponent like every scorer', () => {
    expect(() => riaScores(W, [2, 3], 'up_proj', { inputSumSq: new Float64Array(2), tokens: 1 })).toThrow(
      'ria up_proj: stats.inputSumSq has length 2, expected 3',
    );
    expect(() => riaScores(W, [2, 3], 'up_proj', stats, { alpha: -1 })).toThrow('ria: alpha: expected a finite number >= 0');
  });
});
