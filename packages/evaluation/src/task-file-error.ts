/** A task file that cannot be used: names the file and the 1-based line, so the user can open it there. */
export class TaskFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'TaskFileError';
  }
}
