/**
 * The run's thread: the page's main thread stays free to repaint progress and take a Cancel click (which ends this
 * worker). Messages in: `{ type: 'backend', request, wasmPaths }`, then `{ type: 'run', inputs, settings, evalSettings }`.
 * Messages out: `backend` (the choice), `status`, `warning`, `done` (the result), `error` (the message).
 */
import { describeError } from '@dass/errors';
import { selectBackend, setWasmBinaryPaths } from '@dass/tensor-backend';
import type { BackendRequest } from '@dass/tensor-backend';
import type { PruneSettings } from '@dass/pipeline';
import { runInBrowser } from './run.js';
import type { EvalSettings, RunInputs } from './run.js';

export type WorkerRequest =
  { type: 'backend'; request: BackendRequest; wasmPaths: string } | { type: 'run'; inputs: RunInputs; settings: PruneSettings; evalSettings: EvalSettings };

/**
 * The form's label for a library field (`@dass/errors` errors name PruneSettings fields, as the CLI shows flags):
 * `sparsity` → `Sparsity`. Fields without a control here keep the library's name.
 */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  method: 'Method',
  sparsity: 'Sparsity',
  alpha: 'α',
  targets: 'Targets',
  nsamples: 'Calibration samples',
  seqlen: 'Sequence length',
  seed: 'Seed',
  evalWindows: 'Perplexity windows',
  backend: 'Backend',
};

const fieldLabel = (field: string): string => FIELD_LABELS[field] ?? field;

const post = (message: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  void (async () => {
    try {
      if (request.type === 'backend') {
        setWasmBinaryPaths(request.wasmPaths);
        post({ type: 'backend', choice: await selectBackend(request.request) });
        return;
      }
      const result = await runInBrowser(request.inputs, request.settings, request.evalSettings, {
        onStatus: (message, fraction) => post({ type: 'status', message, fraction }),
        onWarning: (message) => post({ type: 'warning', message }),
      });
      // The pruned files' buffers move to the page (no copy); Blobs (files copied through) are cloned by reference.
      const buffers = new Set(result.pruned.files.flatMap((f) => (f.data instanceof Uint8Array ? [f.data.buffer as ArrayBuffer] : [])));
      post({ type: 'done', result }, [...buffers]);
    } catch (err) {
      post({ type: 'error', message: describeError(err, fieldLabel) });
    }
  })();
});
