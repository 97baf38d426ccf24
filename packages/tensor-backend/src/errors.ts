/**
 * A backend asked for by name cannot start on this machine (not installed, no GPU adapter): the user's environment,
 * not a bug. The CLI exits 2 with this one-line message.
 */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/**
 * A model or batch that cannot fit the device's buffer limits (WebGPU maxStorageBufferBindingSize / maxBufferSize);
 * the message names the tensor, its size and the limit.
 */
export class DeviceLimitError extends RangeError {
  override readonly name = 'DeviceLimitError';
}
