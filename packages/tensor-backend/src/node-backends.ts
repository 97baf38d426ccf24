/** Node's backend activations: tfjs-node(-gpu) when installed beside the project, webgpu on Dawn, wasm from node_modules. */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registerBackendAttempts } from './select-backend.js';
import { activateWebGpu } from './webgpu.js';

const require = createRequire(import.meta.url);

async function tryNode(pkg: string): Promise<void> {
  // Optional native backends: not dependencies of this package (their install downloads libtensorflow),
  // loaded only when the user installed them next to it.
  const resolved = require.resolve(pkg);
  await import(resolved);
  const ok = await tf.setBackend('tensorflow');
  if (!ok) throw new Error(`${pkg} loaded but tfjs refused to initialise its 'tensorflow' backend`);
}

async function tryWasm(): Promise<void> {
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(join(dir, 'dist') + '/');
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('the wasm backend failed to initialise');
}

registerBackendAttempts({
  'tensorflow-gpu': () => tryNode('@tensorflow/tfjs-node-gpu'),
  webgpu: (explicit) => activateWebGpu(explicit),
  tensorflow: () => tryNode('@tensorflow/tfjs-node'),
  wasm: tryWasm,
});
