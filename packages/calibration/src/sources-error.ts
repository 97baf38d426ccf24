import { DassError, hasMarker, setMarker, type DassErrorCode } from '@dass/errors';

/**
 * The error for a text source a user pointed at (calibration or evaluation text): names the file and what was
 * wrong, so a CLI can print `error.message` as one line.
 *
 * `reason` is the fine-grained kind (TOO_SHORT: the text, or every document, has fewer tokens than one calibration
 * window needs); `code` (the `@dass/errors` contract): NOT_FOUND → `DASS_NOT_FOUND`, IO → `DASS_IO`, TOO_SHORT →
 * `DASS_INVALID_DATA`, the others → `DASS_FILE_FORMAT`.
 */
export type TextSourceErrorReason = 'NOT_FOUND' | 'IO' | 'EMPTY' | 'BINARY' | 'BAD_GZIP' | 'BAD_JSON' | 'BAD_DOCUMENT' | 'TOO_SHORT';

const CODES: Partial<Record<TextSourceErrorReason, DassErrorCode>> = { NOT_FOUND: 'DASS_NOT_FOUND', IO: 'DASS_IO', TOO_SHORT: 'DASS_INVALID_DATA' };

const MARKER = Symbol.for('dass.error.TextSourceError');

export class TextSourceError extends DassError {
  constructor(
    /** The file the problem is in. */
    readonly file: string,
    /** What kind of problem (finer than `code`). */
    readonly reason: TextSourceErrorReason,
    /** What was wrong, without the file name (it is prepended to `message`). */
    readonly problem: string,
    options: { cause?: unknown } = {},
  ) {
    super(CODES[reason] ?? 'DASS_FILE_FORMAT', `${file}: ${problem}`, options);
    this.name = 'TextSourceError';
    setMarker(this, MARKER);
  }

  static override isInstance(error: unknown): error is TextSourceError {
    return hasMarker(error, MARKER);
  }
}
