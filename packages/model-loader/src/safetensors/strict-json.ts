/**
 * A JSON parser that rejects duplicate object keys. `JSON.parse` keeps the last duplicate silently, so a
 * safetensors header naming one tensor twice would read as a different file than other readers see.
 * Objects come back with a null prototype (a key named `__proto__` is just a key).
 */
import { DassError } from '@dass/errors';

/** Malformed JSON (code `DASS_FILE_FORMAT`); callers wrap it in a ModelLoadError naming the file. */
export class StrictJsonError extends DassError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super('DASS_FILE_FORMAT', `${message} at position ${position}`);
    this.name = 'StrictJsonError';
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deep enough for any header or index; stops hostile nesting before the stack does. */
const MAX_DEPTH = 64;

export function parseStrictJson(text: string): JsonValue {
  let pos = 0;

  const fail = (message: string): never => {
    throw new StrictJsonError(message, pos);
  };
  const skipWhitespace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const expect = (literal: string, value: JsonValue): JsonValue => {
    if (text.startsWith(literal, pos)) {
      pos += literal.length;
      return value;
    }
    return fail(`unexpected ${describe(pos)}`);
  };
  const describe = (at: number) => (at >= text.length ? 'end of input' : `character ${JSON.stringify(text[at])}`);

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let runStart = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(runStart, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(runStart, pos);
      const e = text[pos + 1];
      pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          pos -= 1;
          fail('bad escape');
      }
      runStart = pos;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const parseNumber = (): number => {
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (!m || m[0] === '-') return fail(`unexpected ${describe(pos)}`);
    pos += m[0].length;
    return Number(m[0]);
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipWhitespace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj = Object.create(null) as { [key: string]: JsonValue };
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail(`expected a string key, got ${describe(pos)}`);
        const keyAt = pos;
        const key = parseString();
        if (Object.prototype.hasOwnProperty.call(obj, key)) {
          pos = keyAt;
          fail(`duplicate key ${JSON.stringify(key)}`);
        }
        skipWhitespace();
        if (text[pos] !== ':') fail(`expected ':', got ${describe(pos)}`);
        pos++;
        obj[key] = parseValue(depth + 1);
        skipWhitespace();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return obj;
        } else fail(`expected ',' or '}', got ${describe(pos)}`);
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return arr;
        } else fail(`expected ',' or ']', got ${describe(pos)}`);
      }
    }
    if (c === '"') return parseString();
    if (c === 't') return expect('true', true);
    if (c === 'f') return expect('false', false);
    if (c === 'n') return expect('null', null);
    return parseNumber();
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos < text.length) fail(`unexpected ${describe(pos)} after the JSON value`);
  return value;
}
