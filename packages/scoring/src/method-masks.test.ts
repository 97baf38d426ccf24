// Scores from each method, masks from @dass/nm-sparsify under the method's own plan: the end-to-end contract of docs/SPEC.md §2.
import { applyMask, checkNM, parseSparsity, selectMask, sparsityOf } from '@dass/nm-sparsify';
import { describe, expect, it } from 'vitest';
import { getScoringMethod } from './scoring-registry.js';
import type { LinearStats, ProjectionKind } from './types.js';

const W = new Float32Array([1, -2, 3, -4, -5, 6, -7, 8, 2, -1, 0, 0.5, -3, 4, -2, 1]);
const stats: LinearStats = {
  inputSumSq: new Float64Array([4, 1, 0, 9]),
  downInputSumSq: new Float64Array([16, 1, 0, 81]),
  tokens: 8,
};

function maskOf(method: string, kind: ProjectionKind, sparsity: string, weight = W, shape = [4, 4] as const): string[] {
  const m = getScoringMethod(method);
  const scores = m.score!(weight, shape, kind, stats);
  const { mask } = selectMask(scores, shape, parseSparsity(sparsity), m.plan(kind));
  const rows: string[] = [];
  for (let r = 0; r < shape[0]; r++) rows.push(Array.from(mask.subarray(r * shape[1], (r + 1) * shape[1])).join(''));
  return rows;
}

describe('method × pattern × axis, hand-worked 4×4 (ties included)', () => {
  it('magnitude: one threshold over the matrix; 2:4 along in', () => {
    // |W| sorted: 0, 0.5, 1@(0,0), 1@(2,1), 1@(3,3), 2@(0,1), 2@(2,0), 2@(3,2) | 3@(0,2) ...
    expect(maskOf('magnitude', 'up_proj', '0.5')).toEqual(['1100', '0000', '1111', '0011']);
    expect(maskOf('magnitude', 'up_proj', '2:4')).toEqual(['1100', '1100', '0011', '0011']);
  });

  it('wanda: per row; 2:4 and 1:2 along in', () => {
    // scores [2,2,0,12] [10,6,0,24] [4,1,0,1.5] [6,4,0,3]; row 0 ties 2@0 vs 2@1 -> column 0
    expect(maskOf('wanda', 'down_proj', '0.5')).toEqual(['1010', '0110', '0110', '0011']);
    expect(maskOf('wanda', 'down_proj', '2:4')).toEqual(['1010', '0110', '0110', '0011']);
    expect(maskOf('wanda', 'down_proj', '1:2')).toEqual(['1010', '0110', '0110', '0110']);
  });

  it('dass gate/up: per input column; 2:4 along out; the silent neuron (row 2) goes first', () => {
    // scores [2,4,6,8] [5,6,7,8] [0,0,0,0] [9,12,6,3]; column 2 ties 6@row0 vs 6@row3 -> row 0
    expect(maskOf('dass', 'gate_proj', '0.5')).toEqual(['1110', '0000', '1111', '0001']);
    expect(maskOf('dass', 'up_proj', '2:4')).toEqual(['1110', '0000', '1111', '0001']);
    expect(maskOf('dass', 'up_proj', '0.25')).toEqual(['0000', '0000', '1111', '0000']);
    expect(maskOf('dass', 'gate_proj', '1:4')).toEqual(['0000', '0000', '1111', '0000']);
  });

  it('dass down_proj and attention: wanda', () => {
    expect(maskOf('dass', 'down_proj', '0.5')).toEqual(maskOf('wanda', 'down_proj', '0.5'));
    expect(maskOf('dass', 'o_proj', '2:4')).toEqual(['1010', '0110', '0110', '0011']);
  });
});

/** Deterministic pseudo-random weights without exact zeros. */
function randomWeights(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = ((a >>> 8) / 2 ** 24 - 0.5) * 2 + (a & 1 ? 1e-3 : -1e-3);
  }
  return out;
}

describe('DaSS gate/up properties on random matrices', () => {
  const dInt = 48;
  const d = 20;
  const shape = [dInt, d] as const;
  const silent = 13;
  const down = new Float64Array(dInt);
  for (let i = 0; i < dInt; i++) down[i] = i === silent ? 0 : 0.1 + ((i * 7919) % 101);
  const s: LinearStats = { inputSumSq: new Float64Array(d).fill(1), downInputSumSq: down, tokens: 64 };
  const dass = getScoringMethod('dass');

  for (const sparsity of ['0.5', '0.25', '0.7', '0.03']) {
    it(`unstructured ${sparsity}: every input column at exactly the target; the silent neuron's row goes first`, () => {
      const weight = randomWeights(dInt * d, 7);
      const { mask } = selectMask(dass.score!(weight, shape, 'gate_proj', s), shape, parseSparsity(sparsity), dass.plan('gate_proj'));
      applyMask(weight, mask);
      const perColumn = Math.floor(dInt * Number(sparsity));
      for (let j = 0; j < d; j++) {
        const column = new Float32Array(dInt);
        for (let i = 0; i < dInt; i++) column[i] = weight[i * d + j];
        expect(sparsityOf(column).zeros).toBe(perColumn);
      }
      // floor(48·0.03) = 1 zero per column: the silent neuron's weight, in every column
      for (let j = 0; j < d; j++) expect(weight[silent * d + j]).toBe(0);
    });
  }

  it('2:4 along out: every group of 4 output rows in a column has exactly 2 zeros', () => {
    const weight = randomWeights(dInt * d, 11);
    const { mask } = selectMask(dass.score!(weight, shape, 'up_proj', s), shape, parseSparsity('2:4'), dass.plan('up_proj'));
    applyMask(weight, mask);
    expect(checkNM(weight, shape, 2, 4, 'out')).toMatchObject({ valid: true, groups: (dInt / 4) * d });
    expect(sparsityOf(weight).ratio).toBe(0.5);
    for (let j = 0; j < d; j++) expect(weight[silent * d + j]).toBe(0);
  });

  it('compared along rows instead, DaSS would collapse to magnitude (why the group is the column)', () => {
    const weight = randomWeights(dInt * d, 5);
    const rowPlan = { group: 'row', nmAxis: 'in' } as const;
    const dassRows = selectMask(dass.score!(weight, shape, 'gate_proj', s), shape, parseSparsity('0.5'), rowPlan).mask;
    const magRows = selectMask(getScoringMethod('magnitude').score!(weight, shape, 'gate_proj', s), shape, parseSparsity('0.5'), rowPlan).mask;
    const differing = dassRows.reduce((n, v, i) => n + (v !== magRows[i] ? 1 : 0), 0);
    // the silent row ties at 0 and prunes its first half instead; every other row matches magnitude exactly
    for (let i = 0; i < dInt; i++) {
      if (i === silent) continue;
      expect(Array.from(dassRows.subarray(i * d, (i + 1) * d))).toEqual(Array.from(magRows.subarray(i * d, (i + 1) * d)));
    }
    expect(differing).toBeLessThanOrEqual(d);
  });
});
