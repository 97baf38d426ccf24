/**
 * What every command gets: where to print results (stdout) and progress/logs (stderr), the interrupt signal, and
 * a record of the paths the user named (a file-system error on one of them is a user error, not a bug).
 */
import { InterruptedError } from './cli-errors.js';
import type { Progress, ProgressWriter } from './progress.js';

export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: ProgressWriter & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
}

export interface CommandContext {
  readonly io: CliIO;
  /** Progress on stderr (silent unless stderr is a terminal). */
  readonly progress: Progress;
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Throws InterruptedError once the user interrupted the run; call between units of work. */
  throwIfInterrupted(): void;
  /** A warning the user should see even in scripted runs (stderr, one line each; after the results when not a TTY). */
  warn(message: string): void;
  /** Records a path from the command line and returns it unchanged. */
  userPath<T extends string | undefined>(path: T): T;
  /**
   * Registers synchronous cleanup for a forced exit (a second Ctrl-C while the command winds down); returns the
   * unregister function.
   */
  onForcedExit(cleanup: () => void): () => void;
  /**
   * For work that cannot watch `signal`: until the returned function is called, an interrupt runs `cleanup` and
   * exits at once instead of waiting for the command to notice.
   */
  exitOnInterrupt(cleanup: () => void): () => void;
  /** Prints exactly one JSON object on stdout. */
  printJson(value: unknown): void;
  /** Prints human-readable result lines on stdout. */
  print(text: string): void;
}

/** A parsed command, ready to run once yargs is done. */
export type CommandRun = (ctx: CommandContext) => Promise<void>;
/** Command builders hand their run function to the CLI through this instead of running inside yargs. */
export type SelectCommand = (run: CommandRun) => void;

export function interruptCheck(signal: AbortSignal): () => void {
  return () => {
    if (signal.aborted) throw new InterruptedError();
  };
}

/** JSON with non-finite numbers as null and bigints as strings (JSON.stringify throws on bigint). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
