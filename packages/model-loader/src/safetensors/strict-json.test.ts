import { describe, expect, it } from 'vitest';
import { parseStrictJson, StrictJsonError } from './strict-json.js';

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, to the same value', () => {
    const texts = [
      '{"a":[1,-2.5e3,0.125,true,false,null],"b":{"c":"x\\u00e9\\n\\"\\\\\\/\\t"}}',
      ' [ ] ',
      '"\\ud83d\\ude00"',
      '{"__proto__":{"polluted":"no"}}  \n ',
      '-0',
      '1E+2',
    ];
    for (const t of texts) expect(parseStrictJson(t)).toEqual(JSON.parse(t));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects duplicate keys at any depth, with the key and position', () => {
    expect(() => parseStrictJson('{"a":1,"a":2}')).toThrow(/duplicate key "a" at position 7/);
    expect(() => parseStrictJson('{"x":{"b":1,"c":{},"b":3}}')).toThrow(/duplicate key "b"/);
    // Same text, different escapes, same key.
    expect(() => parseStrictJson('{"a":1,"\\u0061":2}')).toThrow(/duplicate key "a"/);
  });

  it.each([
    ['', /unexpected end of input/],
    ['{', /expected a string key/],
    ['{"a":1,}', /expected a string key/],
    ['[1,]', /unexpected character "]"/],
    ['{"a" 1}', /expected ':'/],
    ['01', /after the JSON value/],
    ['"abc', /unterminated string/],
    ['"a\u0001"', /control character/],
    ['"\\x"', /bad escape/],
    ['"\\u12g4"', /bad \\u escape/],
    ['tru', /unexpected/],
    ['NaN', /unexpected/],
    ['-', /unexpected/],
    ['{} {}', /after the JSON value/],
    ['['.repeat(100) + ']'.repeat(100), /nesting deeper than 64/],
  ])('rejects %j', (text, message) => {
    expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
    expect(() => parseStrictJson(text)).toThrow(message);
  });
});
