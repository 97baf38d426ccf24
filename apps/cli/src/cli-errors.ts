/**
 * How the CLI turns a thrown error into an exit code and one line of text. User errors (a bad flag, a missing or
 * malformed file, an output that already exists) exit 2 with `dass: error: <message>` and no stack; anything else
 * is a bug and exits 1 (stack only with DASS_DEBUG=1), so scripts can tell "fix your command" from "report this".
 *
 * User errors are told apart by the `@dass/errors` contract only: a `DassError` (any copy: `isInstance`) carries a
 * `code` (→ `CODE_EXIT`) and names option fields, which are shown as this CLI's flags (`FIELD_FLAGS`); a Node
 * file-system error on a path the user gave is the user's too. No error name or message text is inspected.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { DassError, type DassErrorCode } from '@dass/errors';
import { allMethodOptions, optionFlag } from '@dass/scoring';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USER = 2;
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/** A problem with the command line itself (yargs validation, a flag the CLI checks before calling a package). */
export class UsageError extends DassError {
  constructor(message: string) {
    super('DASS_INVALID_ARGUMENT', message);
    this.name = 'UsageError';
  }
}

/** Thrown by a cooperative command when the user interrupted it (SIGINT/SIGTERM). */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor() {
    super('interrupted');
  }
}

/**
 * The exit code of each `@dass/errors` code. Every one is the user's to fix (a flag, a file, the machine's backend),
 * so all exit 2; a code this table does not know (a newer package) is a DassError too and exits 2 as well.
 */
export const CODE_EXIT: Readonly<Record<DassErrorCode, number>> = {
  DASS_INVALID_ARGUMENT: EXIT_USER,
  DASS_NOT_FOUND: EXIT_USER,
  DASS_FILE_FORMAT: EXIT_USER,
  DASS_UNSUPPORTED: EXIT_USER,
  DASS_INVALID_DATA: EXIT_USER,
  DASS_IO: EXIT_USER,
  DASS_OUTPUT_PATH: EXIT_USER,
  DASS_NOT_POSITIVE_DEFINITE: EXIT_USER,
  DASS_BACKEND_UNAVAILABLE: EXIT_USER,
  DASS_DEVICE_LIMIT: EXIT_USER,
};

/**
 * The flag of each library option field that a `dass` command takes as a flag (the libraries name fields, never
 * flags: `seqlen: expected …` reads `--seqlen: expected …` here). Method options (`alpha`, `percdamp`, a plug-in's)
 * map through `optionFlag`; any other field (an internal argument such as `ids`) is shown as the library names it.
 */
export const FIELD_FLAGS: Readonly<Record<string, string>> = {
  model: '--model',
  checkpoint: '--model',
  tokenizer: '--tokenizer',
  tokenizerPath: '--tokenizer',
  method: '--method',
  update: '--update',
  sparsity: '--sparsity',
  layerRatios: '--layer-ratios',
  owlM: '--owl-m',
  owlLambda: '--owl-lambda',
  targets: '--targets',
  partialGroups: '--partial-groups',
  calib: '--calib',
  calibFormat: '--calib-format',
  data: '--data',
  format: '--format',
  nsamples: '--nsamples',
  seqlen: '--seqlen',
  seed: '--seed',
  out: '--out',
  outDir: '--out',
  outFormat: '--out-format',
  force: '--force',
  report: '--report',
  backend: '--backend',
  threads: '--threads',
  gemm: '--gemm',
  maxWindows: '--max-windows',
  stride: '--stride',
  tasks: '--tasks',
  tasksDir: '--tasks-dir',
  limit: '--limit',
  nm: '--nm',
  dtype: '--dtype',
};

/** The flag a library field is given on the command line, or the field itself when no flag sets it. */
export function flagOf(field: string): string {
  if (Object.hasOwn(FIELD_FLAGS, field)) return FIELD_FLAGS[field]!;
  if (allMethodOptions().some((o) => o.option.name === field)) return `--${optionFlag(field)}`;
  return field;
}

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

/** The message of a DassError with its fields shown as flags (a copy of @dass/errors without describe(): its message). */
function describe(err: DassError): string {
  return typeof err.describe === 'function' ? err.describe(flagOf) : err.message;
}

/**
 * Classifies `err`. `userPaths` are the paths from the command line: a file-system error on one of them (or inside
 * a directory among them) is the user's, not ours. `debug` adds the stack of internal errors.
 */
export function reportError(err: unknown, options: { userPaths?: readonly string[]; debug?: boolean } = {}): ErrorReport {
  const userPaths = options.userPaths ?? [];
  if (err instanceof InterruptedError) return { exitCode: EXIT_SIGINT, text: 'dass: interrupted' };
  // Our packages' errors, whichever copy of a package made them (isInstance reads a Symbol.for marker): the code
  // gives the exit code, the fields they name are shown as flags.
  if (DassError.isInstance(err)) return { exitCode: CODE_EXIT[err.code] ?? EXIT_USER, text: `dass: error: ${oneLine(describe(err))}` };
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    const fsPath = userPathOf(e, userPaths);
    if (fsPath !== undefined) return { exitCode: EXIT_USER, text: `dass: error: ${fsPath}: ${FS_USER_CODES[e.code!]}` };
    const detail = options.debug ? `\n${err.stack ?? err.message}` : ' (set DASS_DEBUG=1 for the stack)';
    return { exitCode: EXIT_INTERNAL, text: `dass: internal error: ${oneLine(err.message)}${detail}` };
  }
  return { exitCode: EXIT_INTERNAL, text: `dass: internal error: ${oneLine(String(err))}` };
}
