import { PROJECTION_KINDS, type LinearStats, type ProjectionKind, type ScoreOptions } from './types.js';
import { InvalidArgumentError } from '@dass/errors';

/** Default DaSS exponent: score = |W_ij|·‖h_i‖^α with α = 0.5 (docs/SPEC.md §2). */
export const DEFAULT_ALPHA = 0.5;

export function validateKind(method: string, kind: unknown): asserts kind is ProjectionKind {
  if (!(PROJECTION_KINDS as readonly unknown[]).includes(kind)) {
    throw new InvalidArgumentError(method, `kind: expected one of ${PROJECTION_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
}

/** Checks the projection kind, `shape` = [out, in] and that `weight` holds out·in values. */
export function validateWeight(method: string, weight: Float32Array, shape: readonly [number, number], kind: ProjectionKind): void {
  validateKind(method, kind);
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${method} ${kind}: shape: expected [out, in] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (!(weight instanceof Float32Array)) {
    throw new TypeError(`${method} ${kind}: weight: expected a Float32Array, got ${describe(weight)}`);
  }
  if (weight.length !== shape[0] * shape[1]) {
    throw new RangeError(`${method} ${kind}: weight has length ${weight.length}, expected ${shape[0] * shape[1]} for shape [${shape[0]}, ${shape[1]}]`);
  }
}

/**
 * Returns one statistics vector after checking it exists, has `expected` entries (the dimension it describes)
 * and holds finite non-negative sums.
 */
export function requireSumSq(
  method: string,
  kind: ProjectionKind,
  stats: LinearStats | undefined,
  field: 'inputSumSq' | 'downInputSumSq',
  expected: number,
  dimension: string,
): Float64Array | Float32Array {
  if (stats === null || typeof stats !== 'object') {
    throw new TypeError(`${method} ${kind}: stats: expected calibration statistics {inputSumSq, tokens}, got ${String(stats)}`);
  }
  if (!Number.isSafeInteger(stats.tokens) || stats.tokens < 0) {
    throw new RangeError(`${method} ${kind}: stats.tokens: expected a non-negative integer, got ${String(stats.tokens)}`);
  }
  const values: unknown = stats[field];
  if (!(values instanceof Float64Array || values instanceof Float32Array)) {
    throw new TypeError(`${method} ${kind}: stats.${field}: expected a Float64Array of length ${expected}, got ${describe(values)}`);
  }
  if (values.length !== expected) {
    throw new RangeError(`${method} ${kind}: stats.${field} has length ${values.length}, expected ${expected} (${dimension})`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0) || v === Infinity) {
      throw new RangeError(`${method} ${kind}: stats.${field}[${i}] = ${v}; sums of squares must be finite and >= 0`);
    }
  }
  // float32 sums are accepted too: only their ranking matters
  return values;
}

/** α from the options, defaulted and checked (finite, >= 0). */
export function resolveAlpha(method: string, options: ScoreOptions | undefined): number {
  const alpha = options?.alpha ?? DEFAULT_ALPHA;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) {
    throw new InvalidArgumentError(method, `alpha: expected a finite number >= 0, got ${String(alpha)}`);
  }
  return alpha;
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}`;
  return typeof value;
}
