import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import yargs from 'yargs';
import { UserInputError } from '@dass/pipeline';
import { assetsDir } from './builtin-grids.js';
import type { CellRecord } from './cell-record.js';
import { WORKER_ENV, defaultWorkerEntry } from './cell-worker-pool.js';
import type { RunCellMessage, WorkerMessage } from './cell-worker-pool.js';
import { canonicalJson } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';
import { PUBLISHED_KEY, QUEUE_NAME, QUEUE_PREFIX, cellJobId, cellPaths, fromPortableSpec } from './queue-jobs.js';
import type { CellJobData, CellJobProgress } from './queue-jobs.js';
import { connectQueue, parseQueueUrl, redisOptions } from './queue-url.js';
import type { QueueTarget } from './queue-url.js';
import { failedCellRecord } from './run-cell.js';
import { reproUserError } from './repro-errors.js';

export interface QueueWorkerOptions {
  target: QueueTarget;
  /** Cells run at once on this machine, each in its own process (default 1). */
  concurrency?: number;
  /**
   * Worker threads per cell for the model passes, as `--jobs` cells get them (default: the cores divided between the
   * `concurrency` cells, at least 1); concurrency × threads may not exceed the cores.
   */
  threads?: number;
  /** Relative model and data paths of the published cells resolve against this folder. */
  root: string;
  /** Where pruned checkpoints are written while they are evaluated (default: a folder under the OS temp dir). */
  scratch?: string;
  /** Names this worker in progress and records (default `<host>#<pid>`). */
  name?: string;
  /** BullMQ lock: a job whose worker has not renewed it for this long is stalled and handed on (default 30 000 ms). */
  lockMs?: number;
  /** How often stalled jobs are looked for (default 30 000 ms). */
  stalledMs?: number;
  /** Exit once no cell has been running for this long (default: never). */
  idleExitMs?: number;
  /** The script forked with `--cell` (default: the built bin). */
  entry?: string;
  log?: (line: string) => void;
}

export interface RunningQueueWorker {
  name: string;
  /** Stops taking cells, hands the running ones back to the queue at once, and closes the connections. */
  stop(reason?: string): Promise<void>;
  /** Resolves when the worker has stopped (by `stop` or by `idleExitMs`). */
  done: Promise<void>;
}

interface CellChild {
  child: ChildProcess;
  stderr: string;
  exited: boolean;
}

const STDERR_TAIL = 2000;

function startChild(entry: string): CellChild {
  const env = { ...process.env, [WORKER_ENV]: '1' };
  const child = fork(entry, ['--cell'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env });
  const c: CellChild = { child, stderr: '', exited: false };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    c.stderr = (c.stderr + chunk).slice(-STDERR_TAIL);
  });
  child.once('exit', () => {
    c.exited = true;
  });
  return c;
}

/** Runs one cell in a cell process (the `--cell` runner `--jobs` uses); a process that dies fails the cell. */
/** The `--cell` message, with the per-cell thread count the local `--jobs` path also sends. */
type RunMessage = RunCellMessage & { threads?: number };

function runInChild(c: CellChild, spec: CellSpec, message: Omit<RunMessage, 'type' | 'spec'>, onProgress: (m: string) => void): Promise<CellRecord> {
  const started = new Date();
  const t0 = performance.now();
  return new Promise((done) => {
    const cleanup = () => {
      c.child.off('message', onMessage);
      c.child.off('exit', onExit);
    };
    const onMessage = (raw: unknown) => {
      const msg = raw as WorkerMessage;
      if (msg?.type === 'progress') onProgress(msg.message);
      else if (msg?.type === 'done' && msg.record?.id === spec.id) {
        cleanup();
        done(msg.record);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      const tail = c.stderr.trim();
      const why = `the cell process exited (${signal ? `signal ${signal}` : `code ${code}`}) while running this cell${tail ? `; its last output: ${tail}` : ''}`;
      done(failedCellRecord(spec, new Error(why), { startedAt: started, seconds: (performance.now() - t0) / 1000 }));
    };
    c.child.on('message', onMessage);
    c.child.once('exit', onExit);
    c.child.send({ type: 'run', spec, ...message } satisfies RunMessage, (err) => {
      if (err && !c.exited) c.child.kill();
    });
  });
}

/**
 * Takes cells from the queue and runs each in a cell process on this machine, with the same runner as the local
 * `--jobs` path. Runs only jobs whose settings a coordinator published (PUBLISHED_KEY); a path the cell names that
 * this machine lacks fails the attempt with an error naming the host. Resolves once connected.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningQueueWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserInputError(`--concurrency: expected an integer >= 1, got ${options.concurrency}`);
  const cores = availableParallelism();
  const threads = options.threads ?? Math.max(1, Math.floor(cores / concurrency));
  if (!Number.isInteger(threads) || threads < 1) throw new UserInputError(`--threads: expected an integer >= 1, got ${options.threads}`);
  if (threads > 1 && concurrency * threads > cores) {
    throw new UserInputError(
      `--concurrency ${concurrency} × --threads ${threads} = ${concurrency * threads} exceeds the ${cores} cores of this machine; lower one of them`,
    );
  }
  const entry = options.entry ?? defaultWorkerEntry;
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: build the app first (cd apps/eval && pnpm run build)`);
  const log = options.log ?? (() => {});
  const host = hostname();
  const name = options.name ?? `${host}#${process.pid}`;
  const root = resolve(options.root);
  const scratch = resolve(options.scratch ?? join(tmpdir(), `dass-repro-worker-${process.pid}`));
  await mkdir(scratch, { recursive: true });

  (await connectQueue(options.target)).disconnect();
  const redis = new Redis({ ...redisOptions(options.target), maxRetriesPerRequest: null });
  let lastError = '';
  const onError = (err: Error) => {
    const text = `${(err as NodeJS.ErrnoException).code ?? err.message}`;
    if (text !== lastError) log(`queue ${options.target.redacted}: ${text} (retrying)`);
    lastError = text;
  };
  redis.on('error', onError);

  const idle: CellChild[] = [];
  const busy = new Set<CellChild>();
  let stopping = false;
  let lastBusy = Date.now();

  const processor = async (job: Job<CellJobData, CellRecord>, token?: string): Promise<CellRecord> => {
    const data = job.data;
    const portable = data?.spec;
    const published = portable && typeof portable.id === 'string' ? await redis.hget(PUBLISHED_KEY, job.id!) : null;
    if (!portable || data.kind !== 'dass-repro/cell-job' || published === null || published !== canonicalJson(portable) || cellJobId(portable) !== job.id) {
      throw new UnrecoverableError(`worker ${name} on host ${host}: job ${job.id} is not a cell of a published grid; not run`);
    }
    const spec = fromPortableSpec(portable, { root, assets: assetsDir });
    const missing = cellPaths(spec).filter((p) => !existsSync(p));
    if (missing.length > 0) {
      throw new Error(
        `worker ${name} on host ${host}: ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist (relative paths resolve against --root ${root})`,
      );
    }
    const attempt = `attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1}`;
    log(`start ${spec.id} (${attempt})`);
    const progress = (step?: string) => job.updateProgress({ worker: name, host, ...(step ? { step } : {}) } satisfies CellJobProgress).catch(() => {});
    await progress();
    let c = idle.pop();
    if (!c || c.exited) c = startChild(entry);
    busy.add(c);
    let record: CellRecord;
    try {
      record = await runInChild(
        c,
        spec,
        { outDir: scratch, keepCheckpoint: data.keepCheckpoint === true, threads },
        (m) => void progress(m.replace(`${spec.id}: `, '')),
      );
    } finally {
      busy.delete(c);
      if (!c.exited && !stopping) idle.push(c);
      lastBusy = Date.now();
    }
    if (stopping) {
      // Shutting down: give the cell back to the queue now instead of waiting for the lock to expire.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (record.status === 'failed') {
      log(`failed ${spec.id} (${attempt}): ${record.error?.message ?? 'unknown error'}`);
      throw new Error(`${spec.id} on host ${host} (worker ${name}): ${record.error?.message ?? 'unknown error'}`);
    }
    log(`done ${spec.id} (${record.seconds.toFixed(1)} s)`);
    return { ...record, worker: { name, host } };
  };

  const worker = new Worker<CellJobData, CellRecord>(QUEUE_NAME, processor, {
    connection: { ...redisOptions(options.target), maxRetriesPerRequest: null },
    prefix: QUEUE_PREFIX,
    name,
    concurrency,
    lockDuration: options.lockMs ?? 30_000,
    stalledInterval: options.stalledMs ?? 30_000,
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', onError);

  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let stopped: Promise<void> | undefined;
  const stop = (reason = 'stopping') => {
    stopped ??= (async () => {
      stopping = true;
      clearInterval(idleTimer);
      log(`${reason}${busy.size > 0 ? `: handing ${busy.size} running cell(s) back to the queue` : ''}`);
      for (const c of [...busy, ...idle]) if (!c.exited) c.child.kill();
      await worker.close();
      redis.disconnect();
      finish();
    })();
    return stopped;
  };
  const idleTimer = setInterval(() => {
    if (options.idleExitMs !== undefined && busy.size === 0 && Date.now() - lastBusy > options.idleExitMs)
      void stop(`no cell for ${Math.round(options.idleExitMs / 1000)} s: exiting`);
  }, 1000);
  idleTimer.unref();

  void worker.run().catch((err: Error) => onError(err));
  await worker.waitUntilReady();
  log(`worker ${name} on ${options.target.redacted}: concurrency ${concurrency}, ${threads} thread(s) per cell, root ${root}`);
  return { name, stop, done };
}

export interface WorkerCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

interface WorkerArgs {
  queue?: string;
  concurrency: number;
  threads?: number;
  root?: string;
  scratch?: string;
  name?: string;
  'idle-exit'?: number;
  'lock-ms'?: number;
  'stalled-ms'?: number;
}

/** `dass-repro worker …`: resolves to the exit code (0 stopped, 2 bad input or Redis unreachable). */
export async function workerMain(argv: readonly string[], io: WorkerCliIo): Promise<number> {
  const cli = yargs([...argv])
    .scriptName('dass-repro worker')
    .usage(
      '$0 --queue redis://host:port[/db] [options]\n\n' +
        'Runs grid cells that a coordinator (dass-repro --grid … --queue …) published, on this machine, until stopped\n' +
        '(SIGTERM / Ctrl-C hand the running cells back to the queue). Credentials: in the URL or in\n' +
        'DASS_QUEUE_USERNAME / DASS_QUEUE_PASSWORD.',
    )
    .option('queue', { type: 'string', describe: 'the queue: redis://[user[:password]@]host[:port][/db] (rediss:// for TLS)' })
    .option('concurrency', { type: 'number', default: 1, describe: 'cells run at once, each in its own process' })
    .option('threads', {
      type: 'number',
      describe: 'worker threads per cell for the model passes (concurrency × threads ≤ cores)',
      defaultDescription: 'cores / concurrency',
    })
    .option('root', { type: 'string', describe: "folder the grid's relative model and data paths resolve against (default: the working folder)" })
    .option('scratch', { type: 'string', describe: 'folder for pruned checkpoints while they are evaluated (default: under the OS temp dir)' })
    .option('name', { type: 'string', describe: "names this worker in the coordinator's progress (default: <host>#<pid>)" })
    .option('idle-exit', { type: 'number', describe: 'exit after this many seconds with no cell to run (default: never)' })
    .option('lock-ms', { type: 'number', hidden: true })
    .option('stalled-ms', { type: 'number', hidden: true })
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UserInputError(msg);
    });
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${await cli.getHelp()}\n`);
    return 0;
  }
  const log = (line: string) => io.stderr(`${line}\n`);
  try {
    let args: WorkerArgs;
    try {
      args = cli.parseSync() as unknown as WorkerArgs;
    } catch (err) {
      throw new UserInputError(`${(err as Error).message.replace(/\s*\n\s*/g, ' ')} (see dass-repro worker --help)`);
    }
    if (!args.queue) throw new UserInputError("--queue: required (redis://host:port[/db] of the coordinator's queue)");
    const target = parseQueueUrl(args.queue, io.env ?? process.env);
    const positive = (flag: string, v: number | undefined) => {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UserInputError(`--${flag}: expected a number > 0, got ${v}`);
      return v;
    };
    const idleExit = positive('idle-exit', args['idle-exit']);
    const w = await startQueueWorker({
      target,
      concurrency: args.concurrency,
      threads: args.threads,
      root: resolve(io.cwd, args.root ?? '.'),
      scratch: args.scratch ? resolve(io.cwd, args.scratch) : undefined,
      name: args.name,
      idleExitMs: idleExit !== undefined ? idleExit * 1000 : undefined,
      lockMs: positive('lock-ms', args['lock-ms']),
      stalledMs: positive('stalled-ms', args['stalled-ms']),
      log,
    });
    const onSignal = (signal: NodeJS.Signals) => void w.stop(`${signal}: stopping`);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    await w.done;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return 0;
  } catch (err) {
    const user = reproUserError(err);
    if (user === undefined) throw err;
    io.stderr(`dass-repro worker: ${user.text}\n`);
    return user.exitCode;
  }
}
