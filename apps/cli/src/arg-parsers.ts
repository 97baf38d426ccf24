/**
 * Strict parsers for numeric flags (yargs' own `number` type turns "12abc" into NaN and a repeated flag into an
 * array). Each throws a UsageError naming the flag and the value, e.g. `--nsamples: expected an integer >= 1, got "0"`.
 */
import { UsageError } from './cli-errors.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function single(flag: string, value: unknown): string {
  if (Array.isArray(value)) throw new UsageError(`${flag}: given ${value.length} times, expected once`);
  return String(value);
}

/** `--flag <integer>` with a lower bound. */
export function integerArg(flag: string, min: number = Number.MIN_SAFE_INTEGER): (value: unknown) => number {
  return (value) => {
    const text = single(flag, value).trim();
    const n = Number(text);
    if (!INTEGER.test(text) || !Number.isSafeInteger(n) || n < min) {
      const bound = min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer >= ${min}`;
      throw new UsageError(`${flag}: expected ${bound}, got ${JSON.stringify(text)}`);
    }
    return n;
  };
}

/** `--flag <number>`, finite, with an optional lower bound. */
export function numberArg(flag: string, min?: number): (value: unknown) => number {
  return (value) => {
    const text = single(flag, value).trim();
    const n = Number(text);
    if (!DECIMAL.test(text) || !Number.isFinite(n) || (min !== undefined && n < min)) {
      throw new UsageError(`${flag}: expected a number${min === undefined ? '' : ` >= ${min}`}, got ${JSON.stringify(text)}`);
    }
    return n;
  };
}

/** A string flag given at most once, non-empty. */
export function stringArg(flag: string): (value: unknown) => string {
  return (value) => {
    const text = single(flag, value);
    if (text === '') throw new UsageError(`${flag}: expected a value, got ""`);
    return text;
  };
}
