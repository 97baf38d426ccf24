import './node-backends.js';
export * as tf from '@tensorflow/tfjs-core';
export {
  BACKEND_NAMES,
  selectBackend,
  currentBackend,
  ensureBackend,
  layerExecution,
  maxTensorBytes,
  limitTensorBytes,
  canReadSync,
  backendReport,
} from './select-backend.js';
export type { BackendName, BackendRequest, BackendChoice } from './select-backend.js';
export { describeAdapter } from './webgpu.js';
export type { WebGpuAdapterInfo } from './webgpu.js';
export { countDeviceReads } from './device-reads.js';
export type { DeviceReadCounter } from './device-reads.js';
export { BackendUnavailableError, DeviceLimitError } from './errors.js';
export { wasmHeapView, wasmTensorFilled, wasmReleasePackedWeight } from './wasm-heap.js';
