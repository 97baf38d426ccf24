import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded-random.js';

describe('seededRandom', () => {
  it('matches the reference mulberry32 stream for seed 1', () => {
    // From a line-by-line Python port of the C reference (uint32 state += 0x6D2B79F5; two xorshift-multiply rounds).
    const next = seededRandom(1);
    expect([next(), next(), next()].map((x) => Math.round(x * 2 ** 32))).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('is reproducible per seed and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(1000);
  });

  it('rejects a non-integer seed', () => {
    expect(() => seededRandom(1.5)).toThrow('seed: expected an integer, got 1.5');
  });
});
