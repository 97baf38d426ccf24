/**
 * Browser backend activations: webgpu on `navigator.gpu` (hardware adapters for `auto`), wasm with its `.wasm`
 * binaries served by the page (`setWasmBinaryPaths`), cpu. The native tensorflow backends are Node-only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerBackendAttempts } from './select-backend.js';
import { activateOnGpu, type GpuLike, type TfjsWebGpuModule, type WebGpuAdapterInfo } from './webgpu-adapter.js';

let wasmPrefix: string | undefined;

/**
 * Where the page serves tfjs-backend-wasm's binaries (`tfjs-backend-wasm.wasm`, `-simd.wasm`, `-threaded-simd.wasm`
 * from the package's dist/), as a URL prefix ending in `/`. Must be called before the wasm backend is selected.
 */
export function setWasmBinaryPaths(prefix: string): void {
  wasmPrefix = prefix;
  setWasmPaths(prefix);
}

async function tryWebGpu(explicit: boolean): Promise<WebGpuAdapterInfo> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is undefined: not supported, disabled, or the page is not a secure context)');
  let webgpu: TfjsWebGpuModule;
  try {
    webgpu = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as TfjsWebGpuModule;
  } catch (err) {
    throw new Error(`tfjs-backend-webgpu failed to load (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return activateOnGpu(
    gpu,
    webgpu,
    explicit,
    'the browser has WebGPU but offered no adapter (GPU blocklisted or no GPU)',
    'it is used only when asked for by name',
  );
}

async function tryWasm(): Promise<void> {
  if (wasmPrefix === undefined) throw new Error('the page did not say where its tfjs-backend-wasm binaries are (setWasmBinaryPaths)');
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error(`the wasm backend failed to initialise (binaries expected under ${wasmPrefix})`);
}

async function unavailable(): Promise<void> {
  throw new Error('a Node-only backend (@tensorflow/tfjs-node), not available in a browser');
}

registerBackendAttempts({ 'tensorflow-gpu': unavailable, webgpu: tryWebGpu, tensorflow: unavailable, wasm: tryWasm });
