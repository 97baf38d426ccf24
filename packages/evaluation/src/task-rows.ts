import { TaskFileError } from './task-file-error.js';

/** One parsed line of a task file. */
export interface TaskRow<T> {
  /** 1-based line number in the file. */
  line: number;
  value: T;
}

/** Splits a file into its non-empty lines with 1-based numbers (a trailing `\r` is dropped). */
export function numberedLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() !== '') out.push({ line: i + 1, text: line });
  }
  return out;
}

/** Parses JSON-lines text into objects; a line that is not a JSON object is a TaskFileError naming it. */
export function parseJsonLines(text: string, file: string): TaskRow<Record<string, unknown>>[] {
  return numberedLines(text).map(({ line, text: src }) => {
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch (e) {
      throw new TaskFileError(file, line, `not valid JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TaskFileError(file, line, `expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    return { line, value: value as Record<string, unknown> };
  });
}

/** Typed field access that reports the file, line and field on a mismatch. */
export class RowReader {
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly row: Record<string, unknown>,
  ) {}

  fail(problem: string): never {
    throw new TaskFileError(this.file, this.line, problem);
  }

  string(key: string, { nonEmpty = false } = {}): string {
    const v = this.row[key];
    if (typeof v !== 'string') this.fail(`field "${key}": expected a string, got ${describe(v)}`);
    if (nonEmpty && v.trim() === '') this.fail(`field "${key}": expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  strings(key: string, { min = 1, exactly }: { min?: number; exactly?: number } = {}): string[] {
    const v = this.row[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(`field "${key}": expected an array of strings, got ${describe(v)}`);
    if (exactly !== undefined && v.length !== exactly) this.fail(`field "${key}": expected ${exactly} strings, got ${v.length}`);
    if (v.length < min) this.fail(`field "${key}": expected at least ${min} strings, got ${v.length}`);
    return v as string[];
  }

  /** An index into a list of `count` items; numeric strings ("2") are accepted, as the rowanz files sometimes have. */
  index(key: string, count: number): number {
    const raw = this.row[key];
    const v = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= count) {
      this.fail(`field "${key}": expected an integer in [0, ${count - 1}], got ${describe(raw)}`);
    }
    return v;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
