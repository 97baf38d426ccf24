import { DassError, hasMarker, setMarker } from '@dass/errors';

const MARKER = Symbol.for('dass.error.TaskFileError');

/**
 * A task file that cannot be used: names the file and, when the problem is on one line, its 1-based number, so the
 * user can open it there (`file:line: problem`; `file: problem` for the file as a whole). Code `DASS_FILE_FORMAT`,
 * or `DASS_NOT_FOUND` for a task file that is not there.
 */
export class TaskFileError extends DassError {
  constructor(
    readonly file: string,
    /** 1-based; undefined when the problem is the whole file (missing, empty). */
    readonly line: number | undefined,
    readonly problem: string,
    options: { code?: 'DASS_FILE_FORMAT' | 'DASS_NOT_FOUND'; field?: string } = {},
  ) {
    super(options.code ?? 'DASS_FILE_FORMAT', line === undefined ? `${file}: ${problem}` : `${file}:${line}: ${problem}`, { field: options.field });
    this.name = 'TaskFileError';
    setMarker(this, MARKER);
  }

  static override isInstance(error: unknown): error is TaskFileError {
    return hasMarker(error, MARKER);
  }
}
