import { DassError, hasMarker, setMarker, type DassErrorCode, type MessageText } from '@dass/errors';

const MARKER = Symbol.for('dass.error.UserInputError');

/**
 * A problem with what the caller asked for (an option, a path, a file's content), as opposed to a bug: a `DassError`
 * with the code given (default `DASS_INVALID_ARGUMENT`) and the option `field` at fault. Messages name option fields
 * through the namer (`out`, `force`), so the CLI shows its flags (`--out`, `--force`).
 */
export class UserInputError extends DassError {
  constructor(message: MessageText, options: { code?: DassErrorCode; field?: string; cause?: unknown } = {}) {
    super(options.code ?? 'DASS_INVALID_ARGUMENT', message, { field: options.field, cause: options.cause });
    this.name = 'UserInputError';
    setMarker(this, MARKER);
  }

  static override isInstance(error: unknown): error is UserInputError {
    return hasMarker(error, MARKER);
  }
}
