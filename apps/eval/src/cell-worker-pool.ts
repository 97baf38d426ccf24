import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CellRecord } from './cell-record.js';
import type { CellSpec } from './grid-cells.js';
import { failedCellRecord } from './run-cell.js';

/** The built CLI; `--cell` turns it into a worker that runs the cells its parent sends over IPC. */
export const defaultWorkerEntry: string = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Set in the environment of the workers the pool forks; `--cell` refuses to run without it. */
export const WORKER_ENV = 'DASS_REPRO_WORKER';

/** Parent → worker. */
export interface RunCellMessage {
  type: 'run';
  spec: CellSpec;
  outDir: string;
  keepCheckpoint: boolean;
  /** Worker threads each cell's model passes use. */
  threads?: number;
}

/** Worker → parent. */
export type WorkerMessage = { type: 'progress'; id: string; message: string } | { type: 'done'; record: CellRecord };

export interface CellWorkerPoolOptions {
  size: number;
  outDir: string;
  keepCheckpoint?: boolean;
  /** Worker threads per cell (see RunCellOptions.threads). */
  threads?: number;
  /** The script forked with `--cell` (default: this app's dist/bin.js). */
  entry?: string;
  onProgress?: (message: string) => void;
  onStart?: (cell: CellSpec) => void;
  /** Called as each cell ends (write its record here). */
  onRecord: (record: CellRecord) => Promise<void>;
}

interface Worker {
  child: ChildProcess;
  stderr: string;
  exited: boolean;
}

const STDERR_TAIL = 2000;

function startWorker(entry: string): Worker {
  const child = fork(entry, ['--cell'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, [WORKER_ENV]: '1' } });
  const worker: Worker = { child, stderr: '', exited: false };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    worker.stderr = (worker.stderr + chunk).slice(-STDERR_TAIL);
  });
  child.once('exit', () => {
    worker.exited = true;
  });
  return worker;
}

function runOn(worker: Worker, cell: CellSpec, options: CellWorkerPoolOptions): Promise<CellRecord> {
  const started = new Date();
  const t0 = performance.now();
  return new Promise((resolvePromise) => {
    const cleanup = () => {
      worker.child.off('message', onMessage);
      worker.child.off('exit', onExit);
    };
    const onMessage = (raw: unknown) => {
      const msg = raw as WorkerMessage;
      if (msg?.type === 'progress') options.onProgress?.(msg.message);
      else if (msg?.type === 'done' && msg.record?.id === cell.id) {
        cleanup();
        resolvePromise(msg.record);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      const tail = worker.stderr.trim();
      const why = `the worker process exited (${signal ? `signal ${signal}` : `code ${code}`}) while running this cell${tail ? `; its last output: ${tail}` : ''}`;
      resolvePromise(failedCellRecord(cell, new Error(why), { startedAt: started, seconds: (performance.now() - t0) / 1000 }));
    };
    worker.child.on('message', onMessage);
    worker.child.once('exit', onExit);
    const message: RunCellMessage = {
      type: 'run',
      spec: cell,
      outDir: options.outDir,
      keepCheckpoint: options.keepCheckpoint ?? false,
      threads: options.threads,
    };
    worker.child.send(message, (err) => {
      if (err && !worker.exited) worker.child.kill();
    });
  });
}

/**
 * Runs cells in up to `size` forked worker processes, each taking the next cell as it finishes one. A worker that
 * dies fails only its current cell (recorded with its last stderr) and is replaced.
 */
export async function runCellsInWorkers(cells: readonly CellSpec[], options: CellWorkerPoolOptions): Promise<CellRecord[]> {
  if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`size: expected an integer >= 1, got ${options.size}`);
  const entry = options.entry ?? defaultWorkerEntry;
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: build the app first (cd apps/eval && pnpm run build) to run cells in workers`);
  const queue = [...cells];
  const records: CellRecord[] = [];
  const lane = async () => {
    let worker: Worker | undefined;
    try {
      for (let cell = queue.shift(); cell; cell = queue.shift()) {
        if (!worker || worker.exited) worker = startWorker(entry);
        options.onStart?.(cell);
        const record = await runOn(worker, cell, options);
        records.push(record);
        await options.onRecord(record);
      }
    } finally {
      if (worker && !worker.exited) {
        const w = worker;
        await new Promise<void>((done) => {
          w.child.once('exit', () => done());
          w.child.disconnect();
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.size, cells.length) }, lane));
  return records;
}
