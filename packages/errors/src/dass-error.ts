/**
 * The error contract every DaSS.ts package follows: an error a caller can act on is a `DassError` with a stable
 * `code` (one of `DASS_ERROR_CODES`), the option `field` at fault where one applies (the library's name for it:
 * `seqlen`, `sparsity`, `outDir`; never a CLI flag), and a message that names the file, tensor, what was expected
 * and what was found. Anything else thrown is a bug.
 *
 * `isInstance` checks a `Symbol.for` marker instead of the prototype chain (as vercel/ai's `AISDKError` does), so it
 * holds when two copies of a package meet (a plug-in bundling its own `@dass/errors`, sources next to builds).
 *
 * Messages that name option fields are written as functions of a namer, so an application can show its own names
 * for them: `err.describe((field) => flagOf(field))` is the same message with `--seqlen` where the library says
 * `seqlen`. `err.message` is that function with every field named as the library names it.
 */

/** The codes, each with what it means. Stable: applications map them to exit codes and behaviour. */
export const DASS_ERROR_CODES = {
  /** An option or argument is outside what it accepts (`field` names it): a bad value, a missing required one. */
  DASS_INVALID_ARGUMENT: 'an option or argument is outside what it accepts',
  /** A file, directory, tensor or task the caller named does not exist. */
  DASS_NOT_FOUND: 'a file, directory, tensor or task the caller named does not exist',
  /** A file's content is malformed or does not hold what it must (bad header, JSON, offsets, shapes, tokenizer). */
  DASS_FILE_FORMAT: "a file's content is malformed or does not hold what it must",
  /** Well-formed input this project does not handle (an architecture, a dtype, a format pairing). */
  DASS_UNSUPPORTED: 'well-formed input this project does not handle',
  /** The data cannot serve the computation asked of it (text shorter than one window, NaN/Inf weights or activations). */
  DASS_INVALID_DATA: 'the data cannot serve the computation asked of it',
  /** Reading or writing a file failed (permissions, a full disk, a missing folder). */
  DASS_IO: 'reading or writing a file failed',
  /** An output would replace, swallow or sit inside an input, or exists and is not replaced. */
  DASS_OUTPUT_PATH: 'an output path conflicts with an input or an existing file',
  /** A matrix that must be positive definite (SparseGPT's damped Gram matrix) is not, numerically. */
  DASS_NOT_POSITIVE_DEFINITE: 'a matrix that must be positive definite is not',
  /** A tensor backend asked for by name cannot start on this machine. */
  DASS_BACKEND_UNAVAILABLE: 'a tensor backend asked for cannot start on this machine',
  /** A tensor or batch exceeds the device's buffer limits. */
  DASS_DEVICE_LIMIT: "a tensor exceeds the device's buffer limits",
} as const;

export type DassErrorCode = keyof typeof DASS_ERROR_CODES;

/** Gives the name an application shows for a library option field (identity in the library's own messages). */
export type FieldNamer = (field: string) => string;

/** A message, or a message that names option fields through a namer (so applications can show their own names). */
export type MessageText = string | ((name: FieldNamer) => string);

export interface DassErrorOptions {
  /** The option field at fault, as the library names it (`seqlen`, `outDir`, `sparsity`). */
  field?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

const BASE_MARKER = Symbol.for('dass.error');
const sameName: FieldNamer = (field) => field;

/** Sets a `Symbol.for` marker on `target` (non-enumerable): what `hasMarker` looks for. */
export function setMarker(target: object, marker: symbol): void {
  Object.defineProperty(target, marker, { value: true, enumerable: false });
}

/** Whether `error` carries `marker` (set by `setMarker`), whichever copy of the class made it. */
export function hasMarker(error: unknown, marker: symbol): boolean {
  return error !== null && typeof error === 'object' && (error as Record<symbol, unknown>)[marker] === true;
}

/**
 * The base class of every DaSS.ts error a caller can act on. Subclasses set their own marker
 * (`Symbol.for('dass.error.<Name>')`) and override `isInstance` with it.
 */
export class DassError extends Error {
  /** Stable: one of `DASS_ERROR_CODES`. */
  readonly code: DassErrorCode;
  /** The option field at fault, as the library names it; undefined when the problem is not one option's. */
  readonly field: string | undefined;
  declare private readonly text: (name: FieldNamer) => string;

  constructor(code: DassErrorCode, message: MessageText, options: DassErrorOptions = {}) {
    const text = typeof message === 'function' ? message : () => message;
    super(text(sameName), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DassError';
    this.code = code;
    this.field = options.field;
    // Not enumerable: the error's JSON / inspection shows code, field and message, not the composer.
    Object.defineProperty(this, 'text', { value: text, enumerable: false });
    setMarker(this, BASE_MARKER);
  }

  /** The message with option fields named by `name` (a CLI passes field → flag); `message` uses the fields' own names. */
  describe(name: FieldNamer): string {
    return this.text(name);
  }

  /** True for any `DassError`, also one made by another copy of this package. */
  static isInstance(error: unknown): error is DassError {
    return hasMarker(error, BASE_MARKER);
  }
}

const INVALID_ARGUMENT_MARKER = Symbol.for('dass.error.InvalidArgumentError');

export interface InvalidArgumentOptions {
  /** The value as given, shown after the field (`layerRatios owl: …`), when the problem is about that value. */
  shown?: string;
  cause?: unknown;
}

/**
 * An option or argument outside what it accepts: `code` DASS_INVALID_ARGUMENT, message `<field>: <problem>`
 * (`seqlen: expected a positive integer, got 0`), or `<field> <shown>: <problem>` (`sparsity 2:3: …`). `problem`
 * may name other fields through the namer.
 */
export class InvalidArgumentError extends DassError {
  declare readonly field: string;
  /** What was wrong, without the field (fields named as the library names them). */
  readonly problem: string;
  declare private readonly problemText: (name: FieldNamer) => string;

  constructor(field: string, problem: MessageText, options: InvalidArgumentOptions = {}) {
    const text = typeof problem === 'function' ? problem : () => problem;
    const shown = options.shown === undefined ? '' : ` ${options.shown}`;
    super('DASS_INVALID_ARGUMENT', (name) => `${name(field)}${shown}: ${text(name)}`, { field, cause: options.cause });
    this.name = 'InvalidArgumentError';
    this.problem = text(sameName);
    Object.defineProperty(this, 'problemText', { value: text, enumerable: false });
    setMarker(this, INVALID_ARGUMENT_MARKER);
  }

  /** `problem` with the fields it names shown as `name(field)` (to re-raise it under another field). */
  describeProblem(name: FieldNamer): string {
    return this.problemText(name);
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return hasMarker(error, INVALID_ARGUMENT_MARKER);
  }
}

/** The message of `error` with option fields named by `name` when it is a `DassError` (of any copy); else its message. */
export function describeError(error: unknown, name: FieldNamer): string {
  if (DassError.isInstance(error) && typeof (error as Partial<DassError>).describe === 'function') return error.describe(name);
  return error instanceof Error ? error.message : String(error);
}
