/**
 * How dass-repro turns an error into an exit code and one line, through the `@dass/errors` contract only (no error
 * names, no message text): a `DassError` (any copy of a package: `isInstance`) is the user's to fix and exits 2,
 * with the option fields it names shown as dass-repro's flags; anything else is rethrown (a bug: bin.ts prints it
 * with its stack and exits 1).
 */
import { DassError } from '@dass/errors';

/** Exit code of every `DassError`: each code is the user's to fix (a flag, a grid file, an output folder). */
export const EXIT_USER = 2;

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
  return { exitCode: EXIT_USER, text: oneLine(text) };
}
