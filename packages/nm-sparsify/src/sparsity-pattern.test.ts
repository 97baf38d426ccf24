import { describe, expect, it } from 'vitest';
import { formatSparsity, parseSparsity, targetRatio } from './sparsity-pattern.js';

describe('parseSparsity', () => {
  it('parses ratios and N:M (N counts zeroed weights)', () => {
    expect(parseSparsity('0.5')).toEqual({ kind: 'unstructured', ratio: 0.5 });
    expect(parseSparsity('unstructured:0.7')).toEqual({ kind: 'unstructured', ratio: 0.7 });
    expect(parseSparsity('0')).toEqual({ kind: 'unstructured', ratio: 0 });
    expect(parseSparsity('.25')).toEqual({ kind: 'unstructured', ratio: 0.25 });
    expect(parseSparsity(0.6)).toEqual({ kind: 'unstructured', ratio: 0.6 });
    expect(parseSparsity('2:4')).toEqual({ kind: 'nm', n: 2, m: 4 });
    expect(parseSparsity(' 5:8 ')).toEqual({ kind: 'nm', n: 5, m: 8 });
    expect(targetRatio(parseSparsity('1:4'))).toBe(0.25);
  });

  it.each(['1.5', '1', '-0.1', 'abc', '', 'NaN', 'Infinity', '0:4', '4:4', '5:4', '2.5:4', '2:', ':4', '2:4:8', '0x1'])(
    'rejects %j naming the value',
    (bad) => {
      expect(() => parseSparsity(bad)).toThrow(`got ${JSON.stringify(bad)}`);
    },
  );

  it('rejects non-finite and out-of-range numbers', () => {
    expect(() => parseSparsity(1)).toThrow(/\[0, 1\)/);
    expect(() => parseSparsity(Number.NaN)).toThrow(/NaN/);
  });

  it('formatSparsity round-trips', () => {
    for (const text of ['0.5', '0.7', '0', '2:4', '1:4', '4:8', '5:8']) {
      expect(formatSparsity(parseSparsity(text))).toBe(text);
    }
    expect(() => formatSparsity({ kind: 'nm', n: 4, m: 2 })).toThrow(/N=4, M=2/);
  });
});
