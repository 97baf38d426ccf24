import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { UserInputError } from '@dass/pipeline';
import { assetsDir } from './builtin-grids.js';
import type { CellRecord } from './cell-record.js';
import { readCellRecord, writeCellRecord } from './cell-store.js';
import { canonicalJson, cellHash } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';
import type { GridSpec } from './grid-spec.js';
import { PUBLISHED_KEY, QUEUE_NAME, QUEUE_PREFIX, cellJobId, toPortableSpec } from './queue-jobs.js';
import type { CellJobData, CellJobProgress } from './queue-jobs.js';
import { connectQueue, redisOptions } from './queue-url.js';
import type { QueueTarget } from './queue-url.js';
import { failedCellRecord } from './run-cell.js';
import { outcome, planGridRun } from './run-grid.js';
import type { GridRunSummary } from './run-grid.js';
import { writeReports } from './write-reports.js';

export interface QueueGridOptions {
  target: QueueTarget;
  outDir: string;
  /** Where the grid came from, for the reports. */
  origin: string;
  /** The folder the grid's relative paths were resolved against: workers resolve them against their own `--root`. */
  root: string;
  /** Attempts per cell before it is recorded as failed with its last error (default 2). */
  attempts?: number;
  keepCheckpoints?: boolean;
  only?: readonly string[];
  /** How often the queue is read (default 1000 ms). */
  pollMs?: number;
  /** A status line at least this often while nothing changes (default 60 000 ms). */
  statusEveryMs?: number;
  /** Stops waiting (the jobs stay queued; running the same command again picks them up). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  verbose?: boolean;
}

export interface QueueGridSummary extends GridRunSummary {
  /** The coordinator was stopped before every cell was back: these are still queued or running. */
  interrupted?: string[];
}

type Outstanding = { cell: CellSpec; jobId: string };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

function workerOf(job: Job): string | undefined {
  const p = job.progress as Partial<CellJobProgress> | undefined;
  return (p && typeof p === 'object' && typeof p.worker === 'string' ? p.worker : undefined) ?? job.processedBy;
}

/** The record the coordinator writes for a job that finished: the coordinator's own spec and hash, the worker named. */
function completedRecord(cell: CellSpec, job: Job<CellJobData, CellRecord>): CellRecord {
  const r = job.returnvalue;
  if (!r || typeof r !== 'object' || r.kind !== 'dass-repro/cell' || r.id !== cell.id || (r.status !== 'ok' && r.status !== 'failed')) {
    return failedCellRecord(cell, new Error(`job ${job.id} returned something that is not this cell's record`), timing(job));
  }
  return { ...r, spec: cell, hash: cellHash(cell) };
}

function timing(job: Job): { startedAt: Date; seconds: number } {
  const start = job.processedOn ?? job.timestamp;
  return { startedAt: new Date(start), seconds: Math.max(0, ((job.finishedOn ?? Date.now()) - start) / 1000) };
}

function failedRecord(cell: CellSpec, job: Job): CellRecord {
  const err = new Error(job.failedReason || 'the job failed without a reason');
  const stack = job.stacktrace?.at(-1);
  err.stack = stack ?? err.message;
  const record = failedCellRecord(cell, err, timing(job));
  const name = workerOf(job);
  const host = /on host ([^\s:()]+)/.exec(job.failedReason ?? '')?.[1];
  return name ? { ...record, worker: { name, host: host ?? name.replace(/#\d+$/, '') } } : record;
}

/**
 * Runs a grid on a BullMQ queue: publishes each cell still to run as a job keyed by its settings (publishing twice
 * never duplicates a job), waits with progress while workers (`dass-repro worker`) run them, writes each returned
 * record to `<out>/cells/` atomically, and writes the reports at the end. Stopped and started again, it picks up
 * what is queued, running or finished without running anything twice. Redis unreachable → UserInputError, before
 * anything is written.
 */
export async function runGridOnQueue(grid: GridSpec, options: QueueGridOptions): Promise<QueueGridSummary> {
  const attempts = options.attempts ?? 2;
  if (!Number.isInteger(attempts) || attempts < 1) throw new UserInputError(`--attempts: expected an integer >= 1, got ${options.attempts}`);
  const log = options.log ?? (() => {});
  const pollMs = options.pollMs ?? 1000;
  const statusEveryMs = options.statusEveryMs ?? 60_000;
  const target = options.target;

  const redis = await connectQueue(target);
  redis.disconnect();
  const { outDir, selected, skipped, todo } = await planGridRun(grid, options);
  const queue = new Queue<CellJobData, CellRecord>(QUEUE_NAME, { connection: { ...redisOptions(target), maxRetriesPerRequest: null }, prefix: QUEUE_PREFIX });
  let lastError = '';
  queue.on('error', (err: Error) => {
    const text = `${(err as NodeJS.ErrnoException).code ?? err.message}`;
    if (text !== lastError) log(`queue ${target.redacted}: ${text} (retrying)`);
    lastError = text;
  });
  const client = await queue.client;
  const dirs = { root: options.root, assets: assetsDir };
  const jobIdOf = (cell: CellSpec) => cellJobId(toPortableSpec(cell, dirs));

  const ran: string[] = [];
  const failed: string[] = [];
  const perWorker = new Map<string, { done: number; failed: number }>();
  const outstanding = new Map<string, Outstanding>();
  try {
    // Finished cells whose job a stopped coordinator left behind: nothing to collect any more.
    for (const id of skipped) {
      const cell = selected.find((c) => c.id === id)!;
      const job = await queue.getJob(jobIdOf(cell));
      if (job && ['completed', 'failed'].includes(await job.getState())) await job.remove();
    }
    if (skipped.length > 0) await client.hdel(PUBLISHED_KEY, ...selected.filter((c) => skipped.includes(c.id)).map(jobIdOf));
    const publish = async (cell: CellSpec): Promise<string> => {
      const portable = toPortableSpec(cell, dirs);
      const jobId = cellJobId(portable);
      await client.hset(PUBLISHED_KEY, { [jobId]: canonicalJson(portable) });
      await queue.add(
        cell.id,
        { kind: 'dass-repro/cell-job', version: 1, grid: grid.name, spec: portable, keepCheckpoint: options.keepCheckpoints === true },
        {
          jobId,
          attempts,
          removeOnComplete: false,
          removeOnFail: false,
        },
      );
      return jobId;
    };
    let resumed = 0;
    for (const cell of todo) {
      const jobId = jobIdOf(cell);
      const job = await queue.getJob(jobId);
      if (job) {
        const state = await job.getState();
        const onDisk = await readCellRecord(outDir, cell.id);
        if (state === 'failed' && onDisk?.status === 'failed' && onDisk.hash === cellHash(cell)) {
          // Collected by an earlier run (stopped before it removed the job): a new run tries the cell again.
          await job.remove();
        } else {
          resumed++;
        }
      }
      outstanding.set(jobId, { cell, jobId: await publish(cell) });
    }
    log(
      `${selected.length} cells: ${skipped.length} finished earlier, ${todo.length} on queue ${target.redacted}` +
        (resumed > 0 ? ` (${resumed} already there from an earlier run)` : '') +
        (todo.length > 0 ? `; start workers with: dass-repro worker --queue ${target.redacted}` : ''),
    );

    let lastStatus = '';
    let lastStatusAt = 0;
    let noWorkerSince = Date.now();
    const total = todo.length;
    while (outstanding.size > 0 && !options.signal?.aborted) {
      const running: string[] = [];
      let waiting = 0;
      for (const o of [...outstanding.values()]) {
        const job = await queue.getJob(o.jobId);
        if (!job) {
          log(`${o.cell.id}: its job disappeared from the queue; publishing it again`);
          await publish(o.cell);
          waiting++;
          continue;
        }
        const state = await job.getState();
        if (state === 'completed' || state === 'failed') {
          // The job object was read before its state: a job that finished in between lacks its returnvalue /
          // failedReason in that copy. BullMQ writes those with the state change, so a read after it has them.
          const finished = (await queue.getJob(o.jobId)) ?? job;
          const record = state === 'completed' ? completedRecord(o.cell, finished) : failedRecord(o.cell, finished);
          await writeCellRecord(outDir, record);
          await job.remove();
          outstanding.delete(o.jobId);
          ran.push(record.id);
          if (record.status === 'failed') failed.push(record.id);
          const who = record.worker?.name ?? workerOf(job) ?? 'unknown worker';
          const counts = perWorker.get(who) ?? { done: 0, failed: 0 };
          counts[record.status === 'failed' ? 'failed' : 'done']++;
          perWorker.set(who, counts);
          log(`[${ran.length}/${total}] ${record.id} on ${who}: ${outcome(record)}`);
        } else if (state === 'active') {
          const p = job.progress as Partial<CellJobProgress>;
          running.push(`${workerOf(job) ?? '?'}: ${o.cell.id}${options.verbose && p?.step ? ` (${p.step})` : ''}`);
        } else {
          waiting++;
        }
      }
      const doneCount = ran.length - failed.length;
      const workers = [...perWorker.entries()].map(([w, c]) => `${w} ${c.done} done${c.failed ? ` ${c.failed} failed` : ''}`);
      const status =
        `queue: ${doneCount} done, ${running.length} running${running.length ? ` (${running.join('; ')})` : ''}, ${failed.length} failed, ${waiting} waiting` +
        (workers.length ? ` | per worker: ${workers.join(', ')}` : '');
      const now = Date.now();
      if (outstanding.size > 0 && (status !== lastStatus || now - lastStatusAt >= statusEveryMs)) {
        log(status);
        lastStatus = status;
        lastStatusAt = now;
      }
      if (running.length > 0 || outstanding.size === 0) noWorkerSince = now;
      else if (now - noWorkerSince >= statusEveryMs) {
        const connected = (await queue.getWorkers().catch(() => [])).length;
        if (connected === 0) log(`no worker is connected to ${target.redacted}: start one with dass-repro worker --queue ${target.redacted}`);
        noWorkerSince = now;
      }
      if (outstanding.size > 0) await sleep(pollMs, options.signal);
    }
    if (outstanding.size > 0) {
      const left = [...outstanding.values()].map((o) => o.cell.id);
      log(`stopped with ${left.length} cell(s) still queued or running; the workers go on, and the same command collects them`);
      return { cells: selected.length, skipped, ran, failed, interrupted: left, reports: await writeReports(outDir, grid, options.origin) };
    }
    // Every selected cell is recorded now: withdraw them, so workers refuse any stray copy of their jobs.
    await client.hdel(PUBLISHED_KEY, ...selected.map(jobIdOf));
  } finally {
    await queue.close();
  }
  const reports = await writeReports(outDir, grid, options.origin);
  log(`wrote ${reports.resultsJson}, ${reports.resultsMd}, ${reports.reportHtml}`);
  return { cells: selected.length, skipped, ran, failed, reports };
}
