/** Counts exact zeros (+0 and -0). `ratio` is 0 for an empty array. */
import { InvalidArgumentError } from '@dass/errors';
export function sparsityOf(weights: Float32Array | Float64Array): { zeros: number; total: number; ratio: number } {
  if (!(weights instanceof Float32Array || weights instanceof Float64Array)) {
    throw new InvalidArgumentError('weights', `expected a Float32Array or Float64Array, got ${String(weights)}`);
  }
  let zeros = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] === 0) zeros++;
  return { zeros, total: weights.length, ratio: weights.length === 0 ? 0 : zeros / weights.length };
}
