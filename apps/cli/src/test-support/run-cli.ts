/**
 * Test helpers that run `dass` as a user would. `runCli` and `runCliJson` go through the CLI's `main(argv, io)` in
 * the test process (stdout and stderr captured, stderr not a TTY, one run at a time): the same parsing, commands,
 * error reporting and exit code as the built bin, without a Node start, module load and tfjs initialisation per
 * call. `runCliProcess` and `startCli` spawn the BUILT command (`node dist/bin.js`, package dir as cwd) for what
 * needs a process of its own: signals, the environment a native library reads at load, the bin shim itself.
 * Turbo's `test` task depends on `build`; when dist is missing the process tests fail saying how to build it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundled } from '../assets.js';
import { assertBuilt, cliDir, dassBin } from '../hostile/run-dass.js';
import { runDassInProcess } from '../hostile/run-in-process.js';

export { bundled };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `dass <args>` as a process; stdout/stderr are pipes, so the CLI sees a non-TTY stderr (no progress output). */
export function startCli(args: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; result: Promise<CliResult> } {
  assertBuilt();
  const child = spawn(process.execPath, [dassBin, ...args], {
    cwd: cliDir,
    env: { ...process.env, DASS_DEBUG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

/** `dass <args>` as a process of its own (the built bin). */
export function runCliProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).result;
}

/** `dass <args>` through `main` in this process (queued behind any run in progress); no time limit. */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  const r = await runDassInProcess(args, { timeoutMs: Infinity });
  return { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `dass <args>` in this process and parses its stdout as exactly one JSON object; fails with stderr when it did not exit 0. */
export async function runCliJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`dass ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function makeTempDir(prefix = 'dass-cli-test-'): Promise<{ path: string; remove(): Promise<void>; entries(): Promise<string[]> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }), entries: async () => (await readdir(path)).sort() };
}

/** Runs `fn` over `items` with at most `limit` running at once (the machine has few cores). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
