import { resolve } from 'node:path';
import yargs from 'yargs';
import { UserInputError } from '@dass/pipeline';
import { loadGrid } from './builtin-grids.js';
import { serveCells } from './cell-worker.js';
import { gridCells } from './grid-cells.js';
import { assertGridOutDir } from './out-dir-guard.js';
import { runGrid } from './run-grid.js';
import { writeReports } from './write-reports.js';
import { reproUserError } from './repro-errors.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
};

interface Args {
  grid?: string;
  out?: string;
  jobs: number;
  threads?: number;
  only?: string[];
  root?: string;
  'keep-checkpoints': boolean;
  'report-only': boolean;
  'print-grid': boolean;
  'list-cells': boolean;
  verbose: boolean;
  cell: boolean;
  queue?: string;
  attempts: number;
  'poll-ms': number;
}

function parser(argv: readonly string[]) {
  return yargs([...argv])
    .scriptName('dass-repro')
    .usage(
      '$0 --grid <tiny|paper|grid.json> --out <dir> [options]\n\n' +
        'Runs a grid of pruning experiments (models × methods × patterns, dense baseline included) through the DaSS.ts\n' +
        'pipeline, evaluates each pruned model, and writes results.json, results.md and report.html into --out.\n' +
        'Finished cells are kept in <out>/cells/ and skipped when you run the same command again.',
    )
    .option('grid', { type: 'string', describe: 'built-in grid (tiny, paper) or a grid JSON file' })
    .option('out', { type: 'string', describe: 'output folder (created; cells/, results.json, results.md, report.html)' })
    .option('jobs', { type: 'number', default: 1, describe: 'cells run at once, in worker processes when > 1' })
    .option('threads', {
      type: 'number',
      describe: 'worker threads per cell for the model passes (jobs × threads ≤ cores)',
      defaultDescription: 'cores / jobs',
    })
    .option('only', { type: 'string', array: true, describe: 'run only cells whose id contains one of these (e.g. stories260K__wanda)' })
    .option('root', {
      type: 'string',
      describe: "folder the grid's relative paths resolve against (default: the grid file's folder; paper: the working folder)",
    })
    .option('keep-checkpoints', { type: 'boolean', default: false, describe: 'keep each pruned checkpoint under <out>/checkpoints/' })
    .option('report-only', { type: 'boolean', default: false, describe: 'rebuild the reports from the recorded cells without running any' })
    .option('print-grid', { type: 'boolean', default: false, describe: 'print the grid as JSON (paths resolved) and exit' })
    .option('list-cells', { type: 'boolean', default: false, describe: 'print the cell ids and exit' })
    .option('verbose', { type: 'boolean', default: false, describe: "log each cell's progress steps" })
    .option('queue', {
      type: 'string',
      describe: 'run the cells on many machines: publish them to this Redis queue (redis://host:port[/db]) for `dass-repro worker`s',
    })
    .option('attempts', { type: 'number', default: 2, describe: 'with --queue: tries per cell before it is recorded as failed' })
    .option('poll-ms', { type: 'number', default: 1000, hidden: true })
    .option('cell', { type: 'boolean', default: false, hidden: true })
    .example('$0 --grid tiny --out repro-tiny', 'the bundled 260K-parameter models: a few minutes on a laptop')
    .example('$0 --grid paper --out repro-paper --jobs 1', 'the paper setup (needs models/… and data/… in the working folder)')
    .example('$0 --grid paper --out repro-paper --queue redis://gpu0:6379', 'the same on many machines: start `dass-repro worker --queue …` on each')
    .example('$0 --emit slurm --queue redis://gpu0:6379 > workers.sbatch', 'a Slurm job array of workers (--emit k8s: a Kubernetes Indexed Job)')
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UserInputError(msg);
    });
}

/** The `dass-repro` command; resolves to the exit code (0 ok, 1 some cells failed, 2 bad input). */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  // The queue modules (BullMQ, ioredis) load only when used: a local run and each `--cell` worker process start
  // without them.
  if (argv[0] === 'worker') return (await import('./queue-worker.js')).workerMain(argv.slice(1), io);
  if (argv.some((a) => a === '--emit' || a.startsWith('--emit='))) return (await import('./emit-launchers.js')).emitMain(argv, io);
  const cli = parser(argv);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${await cli.getHelp()}\n`);
    return 0;
  }
  let args: Args;
  try {
    args = cli.parseSync() as unknown as Args;
  } catch (err) {
    io.stderr(`dass-repro: ${(err as Error).message}\n(see dass-repro --help)\n`);
    return 2;
  }
  try {
    if (args.cell) {
      await serveCells();
      return 0;
    }
    if (!args.grid) throw new UserInputError('--grid: required (tiny, paper or a grid .json file)');
    const { spec, origin, root } = await loadGrid(args.grid, { root: args.root, cwd: io.cwd });
    if (args['print-grid']) {
      io.stdout(JSON.stringify(spec, null, 2) + '\n');
      return 0;
    }
    if (args['list-cells']) {
      io.stdout(
        gridCells(spec)
          .map((c) => c.id)
          .join('\n') + '\n',
      );
      return 0;
    }
    if (!args.out) throw new UserInputError('--out: required (the folder for cells/, results.json, results.md, report.html)');
    const outDir = resolve(io.cwd, args.out);
    // Before any work, with the flag's name: the library checks again as `outDir`.
    await assertGridOutDir('--out', outDir, spec, origin);
    if (args['report-only']) {
      const r = await writeReports(outDir, spec, origin);
      io.stderr(
        `${r.results.summary.finished} finished, ${r.results.summary.failed} failed, ${r.results.summary.pending} not run\nwrote ${r.resultsJson}, ${r.resultsMd}, ${r.reportHtml}\n`,
      );
      return 0;
    }
    if (args.queue !== undefined) {
      const { parseQueueUrl } = await import('./queue-url.js');
      const { runGridOnQueue } = await import('./queue-coordinator.js');
      const target = parseQueueUrl(args.queue);
      if (args.jobs !== 1) throw new UserInputError('--jobs: not used with --queue (each worker sets its own --concurrency)');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runGridOnQueue(spec, {
          target,
          outDir,
          origin,
          root,
          attempts: args.attempts,
          keepCheckpoints: args['keep-checkpoints'],
          only: args.only?.flatMap((s) => s.split(',')),
          pollMs: args['poll-ms'],
          verbose: args.verbose,
          signal: stop.signal,
          log: (line) => io.stderr(`${line}\n`),
        });
        if (summary.interrupted) return 130;
        io.stderr(`done: ${summary.ran.length} ran on the queue (${summary.failed.length} failed), ${summary.skipped.length} skipped as finished\n`);
        if (summary.failed.length > 0) {
          io.stderr(`failed cells (recorded in ${outDir}/cells/; rerun to retry them): ${summary.failed.join(', ')}\n`);
          return 1;
        }
        return 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    if (!Number.isInteger(args.jobs) || args.jobs < 1) throw new UserInputError(`--jobs: expected an integer >= 1, got ${args.jobs}`);
    const summary = await runGrid(spec, {
      outDir,
      origin,
      jobs: args.jobs,
      threads: args.threads,
      keepCheckpoints: args['keep-checkpoints'],
      only: args.only?.flatMap((s) => s.split(',')),
      verbose: args.verbose,
      log: (line) => io.stderr(`${line}\n`),
    });
    io.stderr(`done: ${summary.ran.length} ran (${summary.failed.length} failed), ${summary.skipped.length} skipped as finished\n`);
    if (summary.failed.length > 0) {
      io.stderr(`failed cells (recorded in ${outDir}/cells/; rerun to retry them): ${summary.failed.join(', ')}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    // By the error contract (a Symbol.for marker), so it holds when the class comes from another copy of a package.
    const user = reproUserError(err);
    if (user === undefined) throw err;
    io.stderr(`dass-repro: ${user.text}\n`);
    return user.exitCode;
  }
}
