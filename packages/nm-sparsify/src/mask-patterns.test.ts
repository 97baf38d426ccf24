import { describe, expect, it } from 'vitest';
import { maskPatterns, selectMask } from './mask-patterns.js';
import { parseSparsity } from './sparsity-pattern.js';
import { maskRows } from './test-support/reference-mask.js';

const S = new Float32Array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 6]);

describe('selectMask', () => {
  it('unstructured patterns use the plan group, N:M patterns the plan axis', () => {
    const dassGateUp = { group: 'column', nmAxis: 'out' } as const;
    const wanda = { group: 'row', nmAxis: 'in' } as const;
    expect(maskRows(selectMask(S, [4, 4], parseSparsity('0.5'), dassGateUp).mask, 4)).toEqual(['1111', '1011', '0100', '0000']);
    expect(maskRows(selectMask(S, [4, 4], parseSparsity('0.5'), wanda).mask, 4)).toEqual(['0101', '1010', '1100', '0101']);
    expect(maskRows(selectMask(S, [4, 4], parseSparsity('2:4'), dassGateUp).mask, 4)).toEqual(['1111', '1011', '0100', '0000']);
    expect(maskRows(selectMask(S, [4, 4], parseSparsity('1:4'), wanda).mask, 4)).toEqual(['0100', '0010', '0100', '0001']);
  });

  it('passes partialGroups and the matrix name through', () => {
    const scores = new Float32Array(12).fill(1);
    const plan = { group: 'row', nmAxis: 'in' } as const;
    expect(() => selectMask(scores, [2, 6], parseSparsity('2:4'), plan, { name: 'q_proj' })).toThrow('q_proj [2, 6]');
    expect(selectMask(scores, [2, 6], parseSparsity('2:4'), plan, { partialGroups: 'dense' }).denseTailWeights).toBe(4);
  });

  it('rejects unknown pattern kinds listing the known ones', () => {
    expect(Object.keys(maskPatterns).sort()).toEqual(['nm', 'unstructured']);
    expect(() => selectMask(S, [4, 4], { kind: 'block' } as never, { group: 'row', nmAxis: 'in' })).toThrow(
      'pattern: unknown kind "block"; known: unstructured, nm',
    );
  });
});
