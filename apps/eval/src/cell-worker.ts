import { UserInputError } from '@dass/pipeline';
import { WORKER_ENV } from './cell-worker-pool.js';
import type { RunCellMessage, WorkerMessage } from './cell-worker-pool.js';
import { runCell } from './run-cell.js';

/**
 * The hidden `--cell` mode: run each cell the parent sends over IPC and answer with its record; exit when the
 * parent disconnects. Cells arrive one at a time (the parent waits for each answer).
 */
export function serveCells(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send || process.env[WORKER_ENV] !== '1')
    return Promise.reject(new UserInputError('--cell: internal worker mode; dass-repro starts it itself for --jobs > 1'));
  return new Promise((resolve) => {
    process.on('message', (raw: unknown) => {
      const msg = raw as RunCellMessage;
      if (msg?.type !== 'run') return;
      void runCell(msg.spec, {
        outDir: msg.outDir,
        keepCheckpoint: msg.keepCheckpoint,
        threads: msg.threads,
        onProgress: (message) => send({ type: 'progress', id: msg.spec.id, message } satisfies WorkerMessage),
      }).then((record) => send({ type: 'done', record } satisfies WorkerMessage));
    });
    process.once('disconnect', () => resolve());
  });
}
