/**
 * The error for a text source a user pointed at (calibration or evaluation text): names the file and what was
 * wrong, so a CLI can print `error.message` as one line.
 */
/** TOO_SHORT: the text (or every document) has fewer tokens than one calibration window needs. */
export type TextSourceErrorCode = 'NOT_FOUND' | 'IO' | 'EMPTY' | 'BINARY' | 'BAD_GZIP' | 'BAD_JSON' | 'BAD_DOCUMENT' | 'TOO_SHORT';

export class TextSourceError extends Error {
  override readonly name = 'TextSourceError';
  constructor(
    /** The file the problem is in. */
    readonly file: string,
    readonly code: TextSourceErrorCode,
    /** What was wrong, without the file name (it is prepended to `message`). */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
