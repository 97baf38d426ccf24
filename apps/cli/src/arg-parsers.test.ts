import { describe, expect, it } from 'vitest';
import { integerArg, numberArg, stringArg } from './arg-parsers.js';
import { UsageError } from './cli-errors.js';

describe('integerArg', () => {
  const nsamples = integerArg('--nsamples', 1);
  it('accepts integers within bounds', () => {
    expect(nsamples('128')).toBe(128);
    expect(nsamples(' 7 ')).toBe(7);
    expect(integerArg('--seed')('-3')).toBe(-3);
  });
  it('rejects non-integers, out-of-range values and repeats, naming the flag and the value', () => {
    expect(() => nsamples('0')).toThrow(new UsageError('--nsamples: expected an integer >= 1, got "0"'));
    expect(() => nsamples('12abc')).toThrow('--nsamples: expected an integer >= 1, got "12abc"');
    expect(() => nsamples('1.5')).toThrow('got "1.5"');
    expect(() => nsamples('')).toThrow('got ""');
    expect(() => nsamples('99999999999999999999')).toThrow('got "99999999999999999999"');
    expect(() => nsamples(['1', '2'])).toThrow('--nsamples: given 2 times, expected once');
    expect(() => integerArg('--seed')('x')).toThrow('--seed: expected an integer, got "x"');
  });
});

describe('numberArg', () => {
  it('parses finite decimals with an optional lower bound', () => {
    expect(numberArg('--alpha', 0)('0.5')).toBe(0.5);
    expect(numberArg('--alpha', 0)('1e-1')).toBe(0.1);
    expect(() => numberArg('--alpha', 0)('-0.5')).toThrow('--alpha: expected a number >= 0, got "-0.5"');
    expect(() => numberArg('--alpha')('Infinity')).toThrow('--alpha: expected a number, got "Infinity"');
    expect(() => numberArg('--alpha')('0x10')).toThrow('got "0x10"');
  });
});

describe('stringArg', () => {
  it('keeps the value as given and refuses empty values and repeats', () => {
    expect(stringArg('--out')(' a b ')).toBe(' a b ');
    expect(() => stringArg('--out')('')).toThrow('--out: expected a value, got ""');
    expect(() => stringArg('--out')(['a', 'b'])).toThrow('--out: given 2 times, expected once');
  });
});
