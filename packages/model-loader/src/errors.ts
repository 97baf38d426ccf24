/**
 * Typed errors for everything a user can point the loader at. Each names the file (or tensor) and what was wrong,
 * so a CLI can print `error.message` as one line and exit 2.
 */
export type ModelLoadErrorCode =
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

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    /** The file (or directory) the problem is in. */
    readonly file: string,
    readonly code: ModelLoadErrorCode,
    /** What was wrong, without the file name (it is prepended to `message`). */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
