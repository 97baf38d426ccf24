import { DassError, hasMarker, setMarker, type DassErrorOptions, type MessageText } from '@dass/errors';

const BACKEND_UNAVAILABLE = Symbol.for('dass.error.BackendUnavailableError');
const DEVICE_LIMIT = Symbol.for('dass.error.DeviceLimitError');
const NATIVE_GEMM_UNAVAILABLE = Symbol.for('dass.error.NativeGemmUnavailableError');

/**
 * A backend asked for by name cannot start on this machine (not installed, no GPU adapter): the user's environment,
 * not a bug. Code `DASS_BACKEND_UNAVAILABLE`, field `backend`.
 */
export class BackendUnavailableError extends DassError {
  constructor(message: MessageText, options: Omit<DassErrorOptions, 'field'> = {}) {
    super('DASS_BACKEND_UNAVAILABLE', message, { ...options, field: 'backend' });
    this.name = 'BackendUnavailableError';
    setMarker(this, BACKEND_UNAVAILABLE);
  }

  static override isInstance(error: unknown): error is BackendUnavailableError {
    return hasMarker(error, BACKEND_UNAVAILABLE);
  }
}

/**
 * A model or batch that cannot fit the device's buffer limits (WebGPU maxStorageBufferBindingSize / maxBufferSize);
 * the message names the tensor, its size and the limit. Code `DASS_DEVICE_LIMIT`.
 */
export class DeviceLimitError extends DassError {
  constructor(message: MessageText, options: DassErrorOptions = {}) {
    super('DASS_DEVICE_LIMIT', message, options);
    this.name = 'DeviceLimitError';
    setMarker(this, DEVICE_LIMIT);
  }

  static override isInstance(error: unknown): error is DeviceLimitError {
    return hasMarker(error, DEVICE_LIMIT);
  }
}

/**
 * `--gemm native` was asked for but onnxruntime-node cannot be loaded here (not installed, or its binary does not
 * load on this platform, or another version than the pinned one). Code `DASS_BACKEND_UNAVAILABLE` (the GEMM engine is
 * part of the backend), field `gemm`.
 */
export class NativeGemmUnavailableError extends DassError {
  constructor(message: MessageText, options: Omit<DassErrorOptions, 'field'> = {}) {
    super('DASS_BACKEND_UNAVAILABLE', message, { ...options, field: 'gemm' });
    this.name = 'NativeGemmUnavailableError';
    setMarker(this, NATIVE_GEMM_UNAVAILABLE);
  }

  static override isInstance(error: unknown): error is NativeGemmUnavailableError {
    return hasMarker(error, NATIVE_GEMM_UNAVAILABLE);
  }
}
