import { describe, expect, it } from 'vitest';
import { formatPercent } from './format-percent.js';

describe('formatPercent', () => {
  it('prints a fraction ×100 with the given decimals and a % sign (hand-worked)', () => {
    expect(formatPercent(0.5)).toBe('50.00%');
    expect(formatPercent(1 / 3, 1)).toBe('33.3%');
    expect(formatPercent(0.98765, 0)).toBe('99%');
    expect(formatPercent(1)).toBe('100.00%');
  });

  it('leaves the unit out for cells under a (%) header', () => {
    expect(formatPercent(0.6234, 1, { unit: false })).toBe('62.3');
    expect(formatPercent(0.5, 2, { unit: false })).toBe('50.00');
  });

  it('refuses a digit count toFixed cannot take', () => {
    expect(() => formatPercent(0.5, -1)).toThrow('digits: expected an integer in [0, 100], got -1');
    expect(() => formatPercent(0.5, 1.5)).toThrow('digits: expected an integer in [0, 100], got 1.5');
  });
});
