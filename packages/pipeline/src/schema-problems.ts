/**
 * One-line problems from zod issues, in the project's wording for bad input: the key path (`cells[3].sparsity`), what
 * was expected and what was there (`expected one of error, dense, got "tail"`). Schemas that want their own wording
 * give it as the schema's `error` (a full problem text); everything else is worded here by `describeIssue`.
 */
import type { z } from 'zod';

/** JSON-ish description of a value for messages: strings quoted, objects by kind, a missing value as `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `['models', 0, 'path']` → `models[0].path`; the empty path is `(top level)`. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? '(top level)' : out;
}

const KIND: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
  bigint: 'an integer',
};

/**
 * The default wording of an issue (pass as `safeParse(value, { error: describeIssue })`; a schema's own `error` wins).
 * A missing required value reads `required (expected …)`; others `expected …, got …`.
 */
export function describeIssue(issue: z.core.$ZodRawIssue): string {
  const got = describeValue(issue.input);
  switch (issue.code) {
    case 'invalid_type': {
      const kind = KIND[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `required (expected ${kind})` : `expected ${kind}, got ${got}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}, got ${got}`
        : `expected one of ${issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}, got ${got}`;
    case 'too_small':
    case 'too_big': {
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') {
        return issue.code === 'too_small' && bound === '1' ? `expected a non-empty array, got an empty one` : `expected ${op} ${bound} items, got ${got}`;
      }
      if (issue.origin === 'string')
        return issue.code === 'too_small' && bound === '1' ? `expected a non-empty string, got ""` : `expected ${op} ${bound} characters, got ${got}`;
      return `expected a number ${op} ${bound}, got ${got}`;
    }
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_format':
      return `expected ${issue.format === 'regex' ? `a string matching ${String(issue.pattern)}` : `a ${issue.format}`}, got ${got}`;
    case 'invalid_union':
      return `expected none of these forms, got ${got}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}, got ${got}`;
    default:
      return `invalid value ${got}`;
  }
}

/**
 * The first issue of a failed parse as `{ key, problem }`. For a union, the branch that got furthest into the value
 * speaks (an object entry's bad `method`, beside a string form); when every branch refused the value as a whole,
 * the union's own message does. An unknown key is named in `key`.
 */
export function firstProblem(error: z.core.$ZodError): { key: string; problem: string } {
  let issue: z.core.$ZodIssue = error.issues[0]!;
  let prefix: PropertyKey[] = [];
  while (issue.code === 'invalid_union') {
    let best: z.core.$ZodIssue | undefined;
    for (const branch of issue.errors) {
      const first = branch[0];
      if (first && (first.path.length > 0 || first.code === 'unrecognized_keys') && (!best || first.path.length > best.path.length)) best = first;
    }
    if (!best) break;
    prefix = [...prefix, ...issue.path];
    issue = best;
  }
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') return { key: keyPath([...path, issue.keys[0]!]), problem: issue.message };
  return { key: keyPath(path), problem: issue.message };
}
