/**
 * The `dass` command line: yargs parses and validates, then the selected command runs outside yargs so that every
 * error goes through one place (`reportError`) and maps to an exit code: 0 ok, 1 internal error, 2 user error,
 * 130/143 interrupted by SIGINT/SIGTERM.
 */
import { createRequire } from 'node:module';
import yargs from 'yargs';
import { EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, InterruptedError, UsageError, oneLine, reportError } from './cli-errors.js';
import { interruptCheck, toJson } from './command-context.js';
import type { CliIO, CommandContext, CommandRun } from './command-context.js';
import { calibCommand } from './commands/calib.js';
import { convertCommand } from './commands/convert.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { inspectCommand } from './commands/inspect.js';
import { pruneCommand } from './commands/prune.js';
import { createProgress } from './progress.js';

const require = createRequire(import.meta.url);
const { version } = require('../package.json') as { version: string };

/**
 * Parses `argv`; resolves to the command to run, or undefined when yargs already answered (--help, --version: the
 * text goes to `stdout`).
 */
export async function parseCommandLine(argv: readonly string[], stdout: CliIO['stdout'] = process.stdout): Promise<CommandRun | undefined> {
  let selected: CommandRun | undefined;
  const select = (run: CommandRun) => {
    selected = run;
  };
  let parser = yargs([...argv])
    .scriptName('dass')
    .usage('$0 <command> [options]\n\nPrune GLU LLMs with DaSS, Wanda, SparseGPT or magnitude, and evaluate the result.')
    .version(version)
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'missing command: one of prune, calib, eval, inspect, convert, demo (see dass --help)')
    .recommendCommands()
    .showHelpOnFail(false)
    .exitProcess(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .epilogue('Exit codes: 0 success, 1 internal error, 2 bad arguments or input, 130 interrupted. DASS_DEBUG=1 shows stacks.')
    .fail((message, err) => {
      // yargs validation (unknown flag, missing option, bad choice) and our coerce functions end up here.
      if (err instanceof UsageError) throw err;
      let text = oneLine(err?.message || message || 'invalid command line');
      const command = argv.find((a) => !a.startsWith('-'));
      if (text.startsWith('Did you mean') && command !== undefined) text = `unknown command ${JSON.stringify(command)}. ${text}`;
      throw new UsageError(text);
    });
  for (const register of [pruneCommand, calibCommand, evalCommand, inspectCommand, convertCommand, demoCommand]) parser = register(parser, select);
  // With a parse callback yargs hands over what it would print (help, version) instead of calling console.log.
  let output = '';
  await parser.parseAsync([...argv], (_err: unknown, _argv: unknown, text: string) => {
    output = text;
  });
  if (output !== '') stdout.write(output + '\n');
  return selected;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const debug = io.env.DASS_DEBUG === '1';
  const userPaths: string[] = [];
  const fail = (err: unknown) => {
    const report = reportError(err, { userPaths, debug });
    io.stderr.write(report.text + '\n');
    return report.exitCode;
  };

  let run: CommandRun | undefined;
  try {
    run = await parseCommandLine(argv, io.stdout);
  } catch (err) {
    return fail(err);
  }
  if (!run) return EXIT_OK;

  const controller = new AbortController();
  const progress = createProgress(io.stderr, io.stderr.isTTY === true);
  const deferredWarnings: string[] = [];
  const forcedCleanups = new Set<() => void>();
  const immediateCleanups = new Set<() => void>();
  let interruptCode = 0;
  const forceExit = (code: number) => {
    progress.clear();
    for (const cleanup of [...immediateCleanups, ...forcedCleanups]) cleanup();
    io.stderr.write('dass: interrupted\n');
    process.exit(code);
  };
  const onSignal = (code: number) => () => {
    if (interruptCode !== 0 || immediateCleanups.size > 0) forceExit(interruptCode || code);
    interruptCode = code;
    controller.abort();
    if (io.stderr.isTTY) progress.log('dass: interrupting, cleaning up (press Ctrl-C again to exit at once)');
  };
  const onSigint = onSignal(EXIT_SIGINT);
  const onSigterm = onSignal(EXIT_SIGTERM);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const register = (set: Set<() => void>) => (cleanup: () => void) => {
    set.add(cleanup);
    return () => void set.delete(cleanup);
  };

  const ctx: CommandContext = {
    io,
    progress,
    signal: controller.signal,
    throwIfInterrupted: interruptCheck(controller.signal),
    // Warnings reach the user even in scripted runs: at once on a terminal; otherwise after a successful run, so
    // that a failing one still prints exactly one line.
    warn: (message) => {
      const line = `dass: warning: ${oneLine(message)}`;
      if (io.stderr.isTTY) progress.log(line);
      else deferredWarnings.push(line);
    },
    userPath: (path) => {
      if (path !== undefined) userPaths.push(path);
      return path;
    },
    onForcedExit: register(forcedCleanups),
    exitOnInterrupt: register(immediateCleanups),
    printJson: (value) => void io.stdout.write(toJson(value) + '\n'),
    print: (text) => void io.stdout.write(text + '\n'),
  };
  try {
    await run(ctx);
    for (const line of deferredWarnings) io.stderr.write(line + '\n');
    return EXIT_OK;
  } catch (err) {
    progress.clear();
    if (controller.signal.aborted) {
      // Whatever the command threw on its way out (the pipeline's "pruning was interrupted"), the cause is the signal.
      io.stderr.write('dass: interrupted\n');
      if (debug && !(err instanceof InterruptedError)) io.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      return interruptCode;
    }
    return fail(err);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
