/**
 * Runs the CLI's `main(argv, io)` inside the test process, with stdout and stderr captured: the cheap way to check
 * what `dass` answers to a bad argument or file (exit code, the one `dass: error:` line, nothing on stdout). The
 * subprocess runner (`run-dass.ts`) stays for what needs a real process: signals, a heap limit and peak RSS, and the
 * exit status the shell sees.
 */
import { main } from '../main.js';
import type { DassRun } from './run-dass.js';

export interface RunInProcessOptions {
  /** Reported as timed out after this long (the run itself is not stopped); default 20 s; Infinity for no limit. */
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** The run in progress (or the last one): runs in one process never overlap, as they never do in a real `dass`. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * `dass <argv>` through `main`; the result has the subprocess runner's shape, without signal or RSS. Calls made
 * while another run is in progress wait for it: every run has this process's tfjs engine to itself.
 */
export function runDassInProcess(argv: readonly string[], options: RunInProcessOptions = {}): Promise<DassRun> {
  const run = queue.then(() => runOnce(argv, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runOnce(argv: readonly string[], options: RunInProcessOptions): Promise<DassRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => void (stdout += text) },
    // Not a TTY (no isTTY), as in the subprocess runs: no progress lines, warnings deferred.
    stderr: { write: (text: string) => void (stderr += text) },
    env: { ...process.env, DASS_DEBUG: '', ...options.env },
  };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limitMs = options.timeoutMs ?? 20_000;
  // No timer for an unlimited run (setTimeout would take Infinity for 1 ms).
  const timeout = new Promise<'timeout'>((resolve) => {
    if (Number.isFinite(limitMs)) timer = setTimeout(() => resolve('timeout'), limitMs);
  });
  const code = await Promise.race([main(argv, io), timeout]).finally(() => clearTimeout(timer));
  const seconds = (performance.now() - started) / 1000;
  if (code === 'timeout') return { code: null, signal: null, stdout, stderr, timedOut: true, seconds };
  return { code, signal: null, stdout, stderr, timedOut: false, seconds };
}
