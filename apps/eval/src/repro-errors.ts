/**
 * How dass-repro turns an error into an exit code and one line, through the `@dass/errors` contract only (no error
 * names, no message text): a `DassError` (any copy of a package: `isInstance`) is the user's to fix and exits 2,
 * with the option fields it names shown as dass-repro's flags; anything else is rethrown (a bug: bin.ts prints it
 * with its stack and exits 1).
 */
import { DassError, type DassErrorCode } from '@dass/errors';

export const EXIT_USER = 2;

/** The exit code of each `@dass/errors` code: all are the user's to fix (a flag, a grid file, an output folder). */
export const REPRO_CODE_EXIT: Readonly<Record<DassErrorCode, number>> = {
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

/** The dass-repro flag of each library option field it passes on (runGrid's `outDir` is `--out`, …). */
export const REPRO_FIELD_FLAGS: Readonly<Record<string, string>> = {
  grid: '--grid',
  outDir: '--out',
  out: '--out',
  only: '--only',
  jobs: '--jobs',
  threads: '--threads',
  backend: '--backend',
  queue: '--queue',
  concurrency: '--concurrency',
  attempts: '--attempts',
};

/** The flag of a library field in dass-repro, or the field itself when no flag sets it. */
export function reproFlagOf(field: string): string {
  return Object.hasOwn(REPRO_FIELD_FLAGS, field) ? REPRO_FIELD_FLAGS[field]! : field;
}

/** Joins a message's lines (yargs writes several). */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** `{ exitCode, text }` for a user error (`text` without the program prefix), or undefined for anything else. */
export function reproUserError(err: unknown): { exitCode: number; text: string } | undefined {
  if (!DassError.isInstance(err)) return undefined;
  const text = typeof err.describe === 'function' ? err.describe(reproFlagOf) : err.message;
  return { exitCode: REPRO_CODE_EXIT[err.code] ?? EXIT_USER, text: oneLine(text) };
}
