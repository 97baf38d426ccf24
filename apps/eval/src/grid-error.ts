import { UserInputError } from '@dass/pipeline';

/** A grid file that does not fit the format: names the file, the key (`models[1].path`) and what was expected. */
export class GridError extends UserInputError {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key}: ${problem}`);
  }
}

/** JSON-ish description of a value for messages: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Reads keys of one JSON object with errors that name the key's full path. */
export class ObjectReader {
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    readonly at: string,
    private readonly value: Record<string, unknown>,
  ) {}

  static of(file: string, at: string, value: unknown): ObjectReader {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new GridError(file, at || '(top level)', `expected an object, got ${describeValue(value)}`);
    }
    return new ObjectReader(file, at, value as Record<string, unknown>);
  }

  path(key: string): string {
    return this.at ? `${this.at}.${key}` : key;
  }

  fail(key: string, problem: string): never {
    throw new GridError(this.file, this.path(key), problem);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.value, key) && this.value[key] !== undefined;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return Object.hasOwn(this.value, key) ? this.value[key] : undefined;
  }

  string(key: string): string;
  string(key: string, fallback: string | undefined): string | undefined;
  string(key: string, ...rest: [string | undefined] | []): string | undefined {
    const v = this.raw(key);
    if (v === undefined) {
      if (rest.length > 0) return rest[0];
      this.fail(key, 'required (expected a non-empty string)');
    }
    if (typeof v !== 'string' || v.trim() === '') this.fail(key, `expected a non-empty string, got ${describeValue(v)}`);
    return v;
  }

  integer(key: string, min: number, fallback?: number): number {
    const v = this.raw(key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(key, `required (expected an integer >= ${min})`);
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(key, `expected an integer >= ${min}, got ${describeValue(v)}`);
    return v;
  }

  optionalInteger(key: string, min: number): number | undefined {
    return this.raw(key) === undefined ? undefined : this.integer(key, min);
  }

  number(key: string, check: (v: number) => boolean, expected: string, fallback: number): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !check(v)) this.fail(key, `expected ${expected}, got ${describeValue(v)}`);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, got ${describeValue(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(key, `expected one of ${allowed.join(', ')}, got ${describeValue(v)}`);
    }
    return v as T;
  }

  /** A non-empty array (or, when `allowSingle`, one item standing for a list of one). */
  array(key: string, options: { allowSingle?: boolean; required?: boolean } = {}): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined) {
      if (options.required) this.fail(key, 'required (expected a non-empty array)');
      return undefined;
    }
    if (!Array.isArray(v)) {
      if (options.allowSingle) return [v];
      this.fail(key, `expected a non-empty array, got ${describeValue(v)}`);
    }
    if (v.length === 0) this.fail(key, 'expected a non-empty array, got an empty one');
    return v;
  }

  /** Rejects keys nobody read (typos such as `tokeniser`), listing the known ones. */
  done(): void {
    for (const key of Object.keys(this.value)) {
      if (!this.seen.has(key)) this.fail(key, `unknown key; expected one of ${[...this.seen].join(', ')}`);
    }
  }
}
