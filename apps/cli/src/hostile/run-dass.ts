/**
 * Runs the built `dass` (dist/bin.js) the way the hostile tests need: a small V8 heap, a hard time limit, and the
 * process's peak RSS recorded by a preloaded probe, then judges the answer against a case's expectation.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { peakRssBytes } from '@dass/pipeline';
import type { HostileCase } from './hostile-case.js';

/** apps/cli (the same from src/hostile and dist/hostile). */
export const cliDir = fileURLToPath(new URL('../../', import.meta.url));
export const dassBin = join(cliDir, 'dist', 'bin.js');

export interface DassRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Peak resident set size of the dass process; undefined when it died before its exit handlers ran. */
  maxRssBytes?: number;
  seconds: number;
}

export interface RunDassOptions {
  /** Killed (SIGKILL) after this long; default 20 s. */
  timeoutMs?: number;
  /** --max-old-space-size in MiB; default 256. */
  heapMiB?: number;
  env?: Record<string, string>;
  /** Extra --import preloads (file paths). */
  preload?: string[];
  /** Called once the process is started (the kill tests use it). */
  onSpawn?: (pid: number, kill: (signal: NodeJS.Signals) => void) => void;
}

// The probe embeds @dass/pipeline's peakRssBytes (Linux's VmHWM: the process's own peak, not the spawning test worker's).
const PROBE_SOURCE = `import { readFileSync, writeFileSync } from 'node:fs';
const out = process.env.DASS_HOSTILE_RSS_FILE;
const peak = ${peakRssBytes.toString()};
if (out) process.on('exit', () => { try { writeFileSync(out, String(peak())); } catch {} });
`;

let probeDir: Promise<string> | undefined;
let runCounter = 0;

/** A folder holding the RSS probe, made once per process. */
function probeFolder(): Promise<string> {
  probeDir ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dass-hostile-probe-'));
    await writeFile(join(dir, 'rss-probe.mjs'), PROBE_SOURCE);
    return dir;
  })();
  return probeDir;
}

/** Removes the probe folder (call once when done). */
export async function disposeProbe(): Promise<void> {
  if (probeDir) await rm(await probeDir, { recursive: true, force: true });
  probeDir = undefined;
}

export function assertBuilt(): void {
  if (!existsSync(dassBin)) throw new Error(`${dassBin} is missing: build the CLI first (\`pnpm build\` at the root or in apps/cli)`);
}

export async function runDass(argv: readonly string[], options: RunDassOptions = {}): Promise<DassRun> {
  assertBuilt();
  const dir = await probeFolder();
  const rssFile = join(dir, `rss-${process.pid}-${runCounter++}`);
  const run = await runNode([dassBin, ...argv], { ...options, env: { ...options.env, DASS_HOSTILE_RSS_FILE: rssFile } });
  let maxRssBytes: number | undefined;
  try {
    maxRssBytes = Number(await readFile(rssFile, 'utf8'));
    await rm(rssFile, { force: true });
  } catch {
    maxRssBytes = undefined;
  }
  return { ...run, maxRssBytes };
}

/** One command line of a batch (`runDassBatch`). */
export interface BatchCase {
  id: string;
  argv: string[];
}

/** What `dist/hostile/run-batch.js` records for one case. */
export interface BatchResult {
  id: string;
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  seconds: number;
  /** Peak RSS of the batch process up to the end of this case. */
  maxRssBytes: number;
}

/**
 * Runs `cases` one after another through `main` in ONE process (`dist/hostile/run-batch.js`) with the heap limit of
 * `options`; `options.timeoutMs` is per case (the process is killed after that times the number of cases). Each
 * case's run has the RSS peak of the process up to its end; a case the process never finished (it died, or was
 * killed) is missing from the map.
 */
export async function runDassBatch(
  cases: readonly BatchCase[],
  options: Omit<RunDassOptions, 'onSpawn'> = {},
): Promise<{ runs: Map<string, DassRun>; process: DassRun }> {
  assertBuilt();
  const dir = await probeFolder();
  const casesFile = join(dir, `batch-${process.pid}-${runCounter}.json`);
  const resultsFile = join(dir, `batch-${process.pid}-${runCounter++}.jsonl`);
  await writeFile(casesFile, JSON.stringify(cases));
  const perCase = options.timeoutMs ?? 20_000;
  const script = join(cliDir, 'dist', 'hostile', 'run-batch.js');
  const run = await runNode([script, casesFile, resultsFile, String(perCase)], { ...options, timeoutMs: perCase * cases.length + 5_000 });
  const lines = await readFile(resultsFile, 'utf8').then(
    (text) => text.split('\n').filter((line) => line !== ''),
    () => [],
  );
  await rm(casesFile, { force: true });
  await rm(resultsFile, { force: true });
  const runs = new Map<string, DassRun>();
  for (const line of lines) {
    const r = JSON.parse(line) as BatchResult;
    runs.set(r.id, { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, maxRssBytes: r.maxRssBytes, seconds: r.seconds });
  }
  return { runs, process: run };
}

/** `node <args>` with the probe preloaded, a heap limit and a time limit (cwd: apps/cli). */
async function runNode(args: readonly string[], options: RunDassOptions): Promise<Omit<DassRun, 'maxRssBytes'>> {
  const dir = await probeFolder();
  const imports = [join(dir, 'rss-probe.mjs'), ...(options.preload ?? [])].map((p) => `--import=${pathToFileURL(p).href}`);
  const env = {
    ...process.env,
    DASS_DEBUG: '',
    ...options.env,
    NODE_OPTIONS: [`--max-old-space-size=${options.heapMiB ?? 256}`, ...imports].join(' '),
  };
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: cliDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  options.onSpawn?.(child.pid!, (signal) => child.kill(signal));
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  return { code, signal, stdout, stderr, timedOut, seconds: (performance.now() - started) / 1000 };
}

/** The `dass: error: …` line(s) of stderr, warnings left out. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('dass: warning: '));
}

/**
 * What is wrong with `run` as the answer to `c` (empty when it is right): the exact exit code, exactly one
 * `dass: error:` line containing every expected part, no stack frame, nothing on stdout, and, when `maxRssBytes` is
 * given (a subprocess run), a recorded peak RSS within it.
 */
export function judgeRun(c: HostileCase, run: DassRun, maxRssBytes?: number): string[] {
  const problems: string[] = [];
  if (run.timedOut) problems.push(`did not finish in time (killed after ${run.seconds.toFixed(1)} s)`);
  if (run.code !== c.expect.exitCode) problems.push(`exit code ${run.code}${run.signal ? ` (signal ${run.signal})` : ''}, expected ${c.expect.exitCode}`);
  const lines = errorLines(run.stderr);
  if (lines.length !== 1 || !lines[0]!.startsWith('dass: error: '))
    problems.push(`expected one "dass: error: …" line on stderr, got ${lines.length}: ${JSON.stringify(run.stderr.slice(0, 600))}`);
  if (/^\s+at /m.test(run.stderr)) problems.push('stderr holds a stack trace');
  const message = lines.join('\n');
  for (const part of c.expect.messageIncludes) {
    if (!message.includes(part)) problems.push(`message lacks ${JSON.stringify(part)}: ${JSON.stringify(message)}`);
  }
  if (run.stdout !== '') problems.push(`stdout is not empty: ${JSON.stringify(run.stdout.slice(0, 200))}`);
  if (maxRssBytes === undefined) return problems;
  if (run.maxRssBytes === undefined) problems.push('the process died before its exit handlers ran (no RSS record)');
  else if (run.maxRssBytes > maxRssBytes)
    problems.push(`peak RSS ${(run.maxRssBytes / 2 ** 20).toFixed(0)} MiB exceeds ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  return problems;
}
