/**
 * The browser entry of @dass/tensor-backend (the `browser` export condition): the same backend selection and layer
 * policy as Node, with the browser's activations (webgpu on navigator.gpu, wasm from binaries the page serves, cpu).
 */
import './browser-backends.js';
export * as tf from '@tensorflow/tfjs-core';
export {
  BACKEND_NAMES,
  GEMM_NAMES,
  selectBackend,
  currentBackend,
  clearBackendChoice,
  ensureBackend,
  layerExecution,
  maxTensorBytes,
  limitTensorBytes,
  canReadSync,
  backendReport,
} from './select-backend.js';
export type { BackendName, BackendRequest, BackendChoice, GemmRequest, GemmReport } from './select-backend.js';
export { setWasmBinaryPaths } from './browser-backends.js';
export { describeAdapter } from './webgpu-adapter.js';
export type { WebGpuAdapterInfo } from './webgpu-adapter.js';
export { countDeviceReads } from './device-reads.js';
export type { DeviceReadCounter } from './device-reads.js';
export { BackendUnavailableError, DeviceLimitError, NativeGemmUnavailableError } from './errors.js';
export { wasmHeapView, wasmTensorFilled, wasmReleasePackedWeight, matmulWeightsRowMajor } from './wasm-heap.js';
