// The shared config, with one change: test files share their worker's module cache (isolate: false), so the app's
// dependency graph (every @dass package from source, tfjs, BullMQ, yargs) is loaded once per worker instead of once
// per file. The files leave no global state behind: the plug-in test unregisters its method, the queue test restores
// the environment it clears, in-process runs restore their signal handlers, and the run-grid test empties the
// calibration token cache before it counts.
import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(shared, { test: { isolate: false } });
