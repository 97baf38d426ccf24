import { parseSparsity } from '@dass/nm-sparsify';
import { describe, expect, it } from 'vitest';
import { magnitudeMethod } from './magnitude-method.js';
import { pruneMatrix } from './prune-matrix.js';
import type { MatrixPruneInput, ScoringPlugin } from './types.js';

/** 2:4 magnitude by hand on a [2, 8] weight: in each run of 4 along a row the 2 smallest |w| go (earlier index on ties). */
const weight = new Float32Array([1, -2, 3, -4, 0.5, 0.25, -8, 7, -1, 1, -1, 1, 6, -5, 4, -3]);
const want = [0, 0, 3, -4, 0, 0, -8, 7, 0, 0, -1, 1, 6, -5, 0, 0];
const input = (method: ScoringPlugin): MatrixPruneInput => ({
  weight,
  shape: [2, 8],
  kind: 'up_proj',
  stats: undefined,
  pattern: parseSparsity('2:4'),
  partialGroups: 'error',
  options: {},
  name: `${method.name}.up_proj`,
});

describe('pruneMatrix (score → mask → masked weight)', () => {
  it('returns the masked weight, leaves the input alone, and stores it in the dead score array', () => {
    let scores: Float32Array | undefined;
    const spy: ScoringPlugin = { ...magnitudeMethod, score: (...args) => (scores = magnitudeMethod.score(...args)) };
    const before = Array.from(weight);
    const result = pruneMatrix(spy, input(spy));
    expect(Array.from(result.weight)).toEqual(want);
    expect(Array.from(weight)).toEqual(before);
    expect(result.weight).toBe(scores); // reused: no second matrix-sized array
    expect(Array.from(result.mask)).toEqual(want.map((v) => (v === 0 ? 1 : 0)));
  });

  it('never writes into the weight when a method returns scores sharing its buffer', () => {
    // A plugin scoring the weight's own values (a view of the same memory): reuse would clobber the input.
    const signed: ScoringPlugin = { ...magnitudeMethod, name: 'signed', score: (w) => w };
    const before = Array.from(weight);
    const result = pruneMatrix(signed, input(signed));
    expect(Array.from(weight)).toEqual(before);
    expect(result.weight).not.toBe(weight);
    // Lowest signed values go: per run of 4 the two most negative.
    expect(Array.from(result.weight)).toEqual([1, 0, 3, 0, 0.5, 0, 0, 7, 0, 1, 0, 1, 6, 0, 4, 0]);
  });
});
