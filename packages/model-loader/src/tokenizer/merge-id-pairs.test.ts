import { describe, expect, it } from 'vitest';
import { mergeByScore } from './merge-by-score.js';
import { PairMergeCache, mergeIdPairs } from './merge-id-pairs.js';

/** Deterministic pseudo-random integers in [0, n) (a linear congruential sequence). */
function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
}

/**
 * A random vocabulary over the letters a–d: every letter, plus random strings up to 5 letters with scores drawn from a
 * few values (so ties are common), some at or below the threshold.
 */
function randomVocab(rand: (n: number) => number): { pieces: string[]; scores: Float32Array; idOf: Map<string, number> } {
  const pieces = ['a', 'b', 'c', 'd'];
  const idOf = new Map(pieces.map((p, i) => [p, i]));
  const scoreChoices = [-1e10, -20, -3, -2.5, -2.5, -1, 0];
  const scores: number[] = [0, 0, 0, 0];
  for (let k = 0; k < 40; k++) {
    const len = 2 + rand(4);
    const piece = Array.from({ length: len }, () => 'abcd'[rand(4)]).join('');
    if (idOf.has(piece)) continue;
    idOf.set(piece, pieces.length);
    pieces.push(piece);
    scores.push(scoreChoices[rand(scoreChoices.length)]);
  }
  return { pieces, scores: Float32Array.from(scores), idOf };
}

describe('mergeIdPairs', () => {
  it('gives exactly what mergeByScore gives (merge order, ties to the leftmost pair, the threshold) on 300 random cases', () => {
    const rand = lcg(20261129);
    let merges = 0;
    for (let t = 0; t < 300; t++) {
      const { pieces, scores, idOf } = randomVocab(rand);
      const ids = Array.from({ length: rand(60) }, () => rand(4));
      const minScore = t % 3 === 0 ? -1e10 : -2.5;
      const byText = mergeByScore(
        ids.map((id) => ({ text: pieces[id], id })),
        (text) => {
          const id = idOf.get(text);
          return id === undefined ? undefined : { id, score: scores[id] };
        },
        minScore,
      ).map((s) => s.id);
      const cache = new PairMergeCache(pieces.length, (a, b) => idOf.get(pieces[a] + pieces[b]) ?? -1);
      const byId = mergeIdPairs(ids, cache.merge, scores, minScore);
      expect(byId, `case ${t}: ${ids.map((i) => pieces[i]).join('')}`).toEqual(byText);
      merges += ids.length - byId.length;
    }
    expect(merges).toBeGreaterThan(1000); // the cases do merge, a lot
  });

  it('hand-worked: the best pair first, ties to the left, nothing at or below the threshold', () => {
    // pieces: 0 x, 1 y, 2 z, 3 xy (score -2), 4 yz (-1), 5 xyz (-3)
    const pieces = ['x', 'y', 'z', 'xy', 'yz', 'xyz'];
    const scores = Float32Array.of(0, 0, 0, -2, -1, -3);
    const idOf = new Map(pieces.map((p, i) => [p, i]));
    const merge = new PairMergeCache(pieces.length, (a, b) => idOf.get(pieces[a] + pieces[b]) ?? -1).merge;
    // yz (-1) beats xy (-2); then x + yz → xyz
    expect(mergeIdPairs([0, 1, 2], merge, scores, -Infinity)).toEqual([5]);
    // x y x y: both xy pairs score the same; the left one merges first, then the right one
    expect(mergeIdPairs([0, 1, 0, 1], merge, scores, -Infinity)).toEqual([3, 3]);
    // threshold -2: xy (-2) is not above it, yz (-1) is
    expect(mergeIdPairs([0, 1, 2], merge, scores, -2)).toEqual([0, 4]);
    expect(mergeIdPairs([], merge, scores, -Infinity)).toEqual([]);
    expect(mergeIdPairs([2], merge, scores, -Infinity)).toEqual([2]);
  });

  it('PairMergeCache asks its lookup once per pair', () => {
    let calls = 0;
    const cache = new PairMergeCache(10, (a, b) => (calls++, a === 1 && b === 2 ? 7 : -1));
    expect([cache.merge(1, 2), cache.merge(1, 2), cache.merge(2, 1), cache.merge(2, 1)]).toEqual([7, 7, -1, -1]);
    expect(calls).toBe(2);
    expect(cache.size).toBe(2);
  });

  it(`PairMergeCache holds at most ${PairMergeCache.MAX_PAIRS} pairs, then starts over (answers unchanged)`, () => {
    const n = 1100;
    const cache = new PairMergeCache(n, (a, b) => (a + b) % 7);
    for (let a = 0; a < n; a++) for (let b = 0; b < 960; b++) expect(cache.merge(a, b)).toBe((a + b) % 7);
    expect(n * 960).toBeGreaterThan(PairMergeCache.MAX_PAIRS);
    expect(cache.size).toBeLessThanOrEqual(PairMergeCache.MAX_PAIRS);
    expect(cache.size).toBe((n * 960) % PairMergeCache.MAX_PAIRS);
  });
});
