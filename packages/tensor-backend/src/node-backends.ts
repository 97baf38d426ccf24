/**
 * Node's backend activations: tfjs-node(-gpu) when installed beside the project, webgpu on Dawn, wasm from node_modules
 * (its products on the native GEMM, native-kernels.ts, when onnxruntime-node is installed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registerBackendAttempts, registerGemmConfigurer } from './select-backend.js';
import { disableNativeGemm, enableNativeGemm } from './native-kernels.js';
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

// The wasm backend's products on onnxruntime-node's MLAS when installed (`auto`), one intra-op thread per tfjs thread
// (the layer and linalg pools run one worker per core, each selecting its own backend and engine). Without a request,
// the `DASS_GEMM` environment variable (auto, native, wasm) sets it: for tools without a --gemm flag (dass-repro, the
// benchmark scripts); worker threads inherit it.
registerGemmConfigurer(
  (request) => {
    if (request === 'wasm') {
      disableNativeGemm();
      return { request, engine: 'xnnpack' };
    }
    const status = enableNativeGemm({ threads: 1, required: request === 'native' });
    if (status.active) return { request, engine: status.engine! };
    return { request, engine: 'xnnpack', reason: status.reason ?? 'native GEMM unavailable' };
  },
  process.env['DASS_GEMM'] ? { request: process.env['DASS_GEMM'], from: 'DASS_GEMM' } : undefined,
);
