import { UserInputError } from '@dass/pipeline';

/** A grid file that does not fit the format (code `DASS_FILE_FORMAT`): names the file, the key (`models[1].path`) and what was expected. */
export class GridError extends UserInputError {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key}: ${problem}`, { code: 'DASS_FILE_FORMAT' });
  }
}
