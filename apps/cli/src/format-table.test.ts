import { describe, expect, it } from 'vitest';
import { formatBytes, renderTable } from './format-table.js';

describe('renderTable', () => {
  it('pads columns to the widest cell, right-aligning the named ones', () => {
    const text = renderTable(
      ['method', 'ppl'],
      [
        ['dense', '4.05'],
        ['wanda', '12.5'],
      ],
      ['ppl'],
    );
    expect(text).toBe(['method   ppl', '------  ----', 'dense   4.05', 'wanda   12.5'].join('\n'));
  });
  it('refuses a row with the wrong number of cells', () => {
    expect(() => renderTable(['a', 'b'], [['1']])).toThrow('rows[0]: expected 2 cells, got 1');
  });
});

describe('number formats', () => {
  it('formats byte sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.0 GiB');
  });
});
