/**
 * How the CLI turns a thrown error into an exit code and one line of text. User errors (a bad flag, a missing or
 * malformed file, an output that already exists) exit 2 with `dass: error: <message>` and no stack; anything else
 * is a bug and exits 1 (stack only with DASS_DEBUG=1), so scripts can tell "fix your command" from "report this".
 */
import { isAbsolute, relative, resolve } from 'node:path';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USER = 2;
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/** A problem with the command line itself (yargs validation, a flag the CLI checks before calling a package). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown by a cooperative command when the user interrupted it (SIGINT/SIGTERM). */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor() {
    super('interrupted');
  }
}

// The typed errors our packages throw for things a user pointed at. Matched by name so the check holds even when
// a package is loaded twice (src in tests, dist in the built CLI).
const USER_ERROR_NAMES = new Set(['UsageError', 'UserInputError', 'ModelLoadError', 'TextSourceError', 'TaskFileError', 'BackendUnavailableError', 'DeviceLimitError', 'OutputPathError']);

// Our packages validate inputs with RangeError/TypeError messages of the form `<argument>: <what was wrong>`
// (`sparsity: expected …`, `--seqlen: …`, `/path/file: …`, `model.layers.0.gate_proj [172, 64]: …`). Engine-made
// ones ("Cannot read properties of undefined", "Invalid typed array length: 4") have a space before any colon,
// and Node's own carry an ERR_ code.
const ARGUMENT_MESSAGE = /^\S+(?: \[[\d, ]*\])?: /;

const FS_USER_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
};

function isUnder(path: string, root: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The path a file-system error is about, when it is (inside) one of the paths the user gave. */
function userPathOf(err: NodeJS.ErrnoException, userPaths: readonly string[]): string | undefined {
  if (typeof err.path !== 'string' || !(err.code && err.code in FS_USER_CODES)) return undefined;
  return userPaths.some((p) => isUnder(err.path!, p)) ? err.path : undefined;
}

/** Collapses a message to one line (yargs and some validators use several). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

export interface ErrorReport {
  exitCode: number;
  /** What to print on stderr (without the trailing newline). */
  text: string;
}

/**
 * Classifies `err`. `userPaths` are the paths from the command line: a file-system error on one of them (or inside
 * a directory among them) is the user's, not ours. `debug` adds the stack of internal errors.
 */
export function reportError(err: unknown, options: { userPaths?: readonly string[]; debug?: boolean } = {}): ErrorReport {
  const userPaths = options.userPaths ?? [];
  if (err instanceof InterruptedError) return { exitCode: EXIT_SIGINT, text: 'dass: interrupted' };
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    const fsPath = userPathOf(e, userPaths);
    if (fsPath !== undefined) return { exitCode: EXIT_USER, text: `dass: error: ${fsPath}: ${FS_USER_CODES[e.code!]}` };
    const isOurValidation =
      (err instanceof RangeError || err instanceof TypeError) && ARGUMENT_MESSAGE.test(err.message) && !String(e.code ?? '').startsWith('ERR_');
    if (USER_ERROR_NAMES.has(err.name) || isOurValidation) return { exitCode: EXIT_USER, text: `dass: error: ${oneLine(err.message)}` };
    const detail = options.debug ? `\n${err.stack ?? err.message}` : ' (set DASS_DEBUG=1 for the stack)';
    return { exitCode: EXIT_INTERNAL, text: `dass: internal error: ${oneLine(err.message)}${detail}` };
  }
  return { exitCode: EXIT_INTERNAL, text: `dass: internal error: ${oneLine(String(err))}` };
}
