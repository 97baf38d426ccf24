/**
 * A task file that cannot be used: names the file and, when the problem is on one line, its 1-based number, so the
 * user can open it there (`file:line: problem`; `file: problem` for the file as a whole).
 */
export class TaskFileError extends Error {
  constructor(
    readonly file: string,
    /** 1-based; undefined when the problem is the whole file (missing, empty). */
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
    this.name = 'TaskFileError';
  }
}
