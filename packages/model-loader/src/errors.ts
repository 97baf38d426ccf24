import { DassError, hasMarker, setMarker, type DassErrorCode } from '@dass/errors';

/**
 * Typed errors for everything a user can point the loader at. Each names the file (or tensor) and what was wrong,
 * so a CLI can print `error.message` as one line and exit 2.
 *
 * `reason` is the fine-grained kind; `code` (the `@dass/errors` contract) groups reasons: NOT_FOUND →
 * `DASS_NOT_FOUND`, IO → `DASS_IO`, UNSUPPORTED → `DASS_UNSUPPORTED`, BAD_VALUE (an argument, not a file) →
 * `DASS_INVALID_ARGUMENT`, every other reason → `DASS_FILE_FORMAT`.
 */
export type ModelLoadErrorReason =
  | 'NOT_FOUND'
  | 'TRUNCATED'
  | 'BAD_HEADER'
  | 'BAD_JSON'
  | 'BAD_DTYPE'
  | 'BAD_SHAPE'
  | 'BAD_OFFSETS'
  | 'BAD_INDEX'
  | 'BAD_CONFIG'
  | 'UNSUPPORTED'
  | 'MISSING_TENSOR'
  | 'BAD_TOKENIZER'
  | 'BAD_VALUE'
  | 'IO';

const CODES: Partial<Record<ModelLoadErrorReason, DassErrorCode>> = {
  NOT_FOUND: 'DASS_NOT_FOUND',
  IO: 'DASS_IO',
  UNSUPPORTED: 'DASS_UNSUPPORTED',
  BAD_VALUE: 'DASS_INVALID_ARGUMENT',
};

/** The `@dass/errors` code of a model-loader reason. */
export function modelLoadErrorCode(reason: ModelLoadErrorReason): DassErrorCode {
  return CODES[reason] ?? 'DASS_FILE_FORMAT';
}

const MARKER = Symbol.for('dass.error.ModelLoadError');

export class ModelLoadError extends DassError {
  constructor(
    /** The file (or directory) the problem is in. */
    readonly file: string,
    /** What kind of problem (finer than `code`). */
    readonly reason: ModelLoadErrorReason,
    /** What was wrong, without the file name (it is prepended to `message`). */
    readonly problem: string,
    options: { cause?: unknown } = {},
  ) {
    super(modelLoadErrorCode(reason), `${file}: ${problem}`, options);
    this.name = 'ModelLoadError';
    setMarker(this, MARKER);
  }

  static override isInstance(error: unknown): error is ModelLoadError {
    return hasMarker(error, MARKER);
  }
}
