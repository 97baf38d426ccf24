import { describe, expect, it } from 'vitest';
import { mergeByScore, type MergeCandidate } from './merge-by-score.js';

const table = (entries: Record<string, number>) => {
  const ids = Object.keys(entries);
  return (text: string): MergeCandidate | undefined => (text in entries ? { id: ids.indexOf(text), score: entries[text] } : undefined);
};
const symbols = (s: string) => Array.from(s, (text) => ({ text, id: -1 }));

describe('mergeByScore', () => {
  it('merges best score first, leftmost on ties, and records the parts', () => {
    // x y z: yz (-1) before xy (-2); then x+yz = xyz (-3).
    const out = mergeByScore(symbols('xyz'), table({ xy: -2, yz: -1, xyz: -3 }));
    expect(out.map((s) => s.text)).toEqual(['xyz']);
    expect(out[0].parts?.map((p) => p.text)).toEqual(['x', 'yz']);
    // a a a: both "aa" pairs tie; the left one merges → aa a.
    expect(mergeByScore(symbols('aaa'), table({ aa: 0 })).map((s) => s.text)).toEqual(['aa', 'a']);
    // a a a a: aa aa, then "aaaa" (-5).
    expect(mergeByScore(symbols('aaaa'), table({ aa: 0, aaaa: -5 })).map((s) => s.text)).toEqual(['aaaa']);
  });

  it('skips merges scored at or below minScore, and handles empty and single inputs', () => {
    expect(mergeByScore(symbols('xy'), table({ xy: -10 }), -10).map((s) => s.text)).toEqual(['x', 'y']);
    expect(mergeByScore(symbols('xy'), table({ xy: -9.5 }), -10).map((s) => s.text)).toEqual(['xy']);
    expect(mergeByScore([], table({}))).toEqual([]);
    expect(mergeByScore(symbols('x'), table({ x: 0 })).map((s) => s.text)).toEqual(['x']);
  });

  it('validates its arguments', () => {
    expect(() => mergeByScore('ab' as never, table({}))).toThrow(/symbols: expected an array, got string/);
    expect(() => mergeByScore([], null as never)).toThrow(/lookup: expected a function/);
    expect(() => mergeByScore([], table({}), NaN)).toThrow(/minScore: expected a number, got NaN/);
  });
});
