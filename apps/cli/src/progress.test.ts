import { describe, expect, it } from 'vitest';
import { createProgress, formatBar } from './progress.js';

describe('progress', () => {
  it('writes nothing at all when disabled (stderr is not a terminal)', () => {
    const out: string[] = [];
    const p = createProgress({ write: (s: string) => out.push(s) }, false);
    p.update('pruning', 1, 5);
    p.log('a line');
    p.clear();
    expect(out).toEqual([]);
  });

  it('draws one self-overwriting line on a terminal and clears it before a log line', () => {
    const out: string[] = [];
    const p = createProgress({ write: (s: string) => out.push(s), columns: 80 }, true);
    p.update('pruning', 2, 4);
    p.log('dass: warning: x');
    p.clear();
    expect(out).toEqual([`\r\x1b[Kpruning [${'#'.repeat(12)}${'-'.repeat(12)}] 2/4`, '\r\x1b[K', 'dass: warning: x\n']);
  });

  it('truncates to the terminal width', () => {
    expect(formatBar('x'.repeat(50), undefined, undefined, 20)).toBe('x'.repeat(18) + '…');
    expect(formatBar('load')).toBe('load');
  });
});
