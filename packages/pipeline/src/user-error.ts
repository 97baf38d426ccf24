/**
 * A problem with what the user asked for (a flag, a path, a file's content), as opposed to a bug. The CLI prints
 * its message as one line and exits 2.
 */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
}
