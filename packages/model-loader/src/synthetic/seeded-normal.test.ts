import { describe, expect, it } from 'vitest';
import { fillNormal, tensorStreamSeed } from './seeded-normal.js';

describe('fillNormal', () => {
  it('has the requested mean, standard deviation and normal tail mass', () => {
    const x = fillNormal(new Float32Array(200_001), 12345, 0.5);
    let sum = 0;
    let sumSq = 0;
    let beyond2 = 0;
    for (const v of x) {
      sum += v;
      sumSq += v * v;
      if (Math.abs(v) > 1) beyond2++; // |z| > 2
    }
    const mean = sum / x.length;
    const std = Math.sqrt(sumSq / x.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.005); // 4.5 standard errors of 0.5/sqrt(2e5)
    expect(std).toBeCloseTo(0.5, 2);
    // P(|z| > 2) = 0.0455 for a normal; a uniform of the same std would give 0
    expect(beyond2 / x.length).toBeGreaterThan(0.042);
    expect(beyond2 / x.length).toBeLessThan(0.049);
    expect(Number.isFinite(x[x.length - 1])).toBe(true);
  });

  it('is reproducible per stream and differs between streams', () => {
    const a = fillNormal(new Float32Array(1000), 7, 1);
    const b = fillNormal(new Float32Array(1000), 7, 1);
    const c = fillNormal(new Float32Array(1000), 8, 1);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    // a shorter fill is a prefix of a longer one
    expect(fillNormal(new Float32Array(10), 7, 1)).toEqual(a.subarray(0, 10));
  });

  it('rejects bad arguments by name', () => {
    expect(() => fillNormal(new Float32Array(2), 1, -1)).toThrow(/std: expected a finite number ≥ 0, got -1/);
    expect(() => fillNormal(new Float32Array(2), 1.5, 1)).toThrow(/streamSeed: expected an integer, got 1.5/);
    expect(() => fillNormal([] as unknown as Float32Array, 1, 1)).toThrow(/out: expected a Float32Array/);
  });
});

describe('tensorStreamSeed', () => {
  it('separates names and seeds', () => {
    const seeds = new Set([tensorStreamSeed(0, 'a'), tensorStreamSeed(0, 'b'), tensorStreamSeed(1, 'a'), tensorStreamSeed(2 ** 32, 'a')]);
    expect(seeds.size).toBe(4);
    expect(tensorStreamSeed(3, 'model.norm.weight')).toBe(tensorStreamSeed(3, 'model.norm.weight'));
    expect(() => tensorStreamSeed(0.5, 'a')).toThrow(/seed: expected an integer, got 0.5/);
  });
});
