import type { MatrixShape } from './mask-types.js';
import { InvalidArgumentError } from '@dass/errors';

/** Checks `shape` is two positive integers and returns its element count. */
export function validateShape(shape: unknown, argName = 'shape'): number {
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(argName, `expected [rows, cols] of positive integers, got ${JSON.stringify(shape)}`);
  }
  return (shape[0] as number) * (shape[1] as number);
}

/** Checks `data` holds exactly rows·cols elements of `shape`. */
export function validateMatrix(data: ArrayLike<number>, shape: MatrixShape, argName: string, shapeName = 'shape'): number {
  const size = validateShape(shape, shapeName);
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    throw new InvalidArgumentError(argName, `expected a typed array, got ${String(data)}`);
  }
  if (data.length !== size) {
    throw new InvalidArgumentError(argName, `length ${data.length} does not match ${shapeName} [${shape[0]}, ${shape[1]}] (${size} elements)`);
  }
  return size;
}

/** Scores must be totally ordered; a NaN would make "the k smallest" undefined. */
export function assertNoNaN(scores: ArrayLike<number>, argName: string, cols: number): void {
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) {
      throw new InvalidArgumentError(argName, `NaN at [${Math.floor(i / cols)}, ${i % cols}] (scores must be comparable)`);
    }
  }
}
