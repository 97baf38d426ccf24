import './node-backends.js';
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
export { describeAdapter } from './webgpu.js';
export type { WebGpuAdapterInfo } from './webgpu.js';
export { countDeviceReads } from './device-reads.js';
export type { DeviceReadCounter } from './device-reads.js';
export { BackendUnavailableError, DeviceLimitError, NativeGemmUnavailableError } from './errors.js';
export { wasmHeapView, wasmTensorFilled, wasmReleasePackedWeight, matmulWeightsRowMajor } from './wasm-heap.js';
export { nativeGemm, nativeGemmLoadError, ONNXRUNTIME_NODE_VERSION } from './native-gemm.js';
export type { NativeGemm, NativeMatmulOptions } from './native-gemm.js';
export { enableNativeGemm, disableNativeGemm, nativeGemmStatus, DEFAULT_NATIVE_MIN_MACS } from './native-kernels.js';
export type { NativeGemmStatus } from './native-kernels.js';
