// The shared config, with one change: test files share their worker's module cache (isolate: false), so the CLI's
// whole dependency graph (every @dass package from source, tfjs, yargs) is loaded once per worker instead of once
// per file. The files leave no global state behind: in-process runs restore their signal handlers, the write-fault
// test restores the file system, and the plug-in test unregisters its method.
import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(shared, { test: { isolate: false } });
