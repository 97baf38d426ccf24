import * as tf from '@tensorflow/tfjs-core';

/**
 * Direct access to tensors in the tfjs wasm backend's heap (tfjs-backend-wasm 4.x internals: `BackendWasm.dataIdMap`
 * entries hold each tensor's `memoryOffset` in `wasm.HEAPU8`). Every function here is a no-op returning `undefined`
 * (or `false`) on any other backend, so callers keep a portable fallback.
 *
 * Why: on the machines this toolkit targets, first-touching fresh memory is expensive (in a Firecracker VM about
 * 17 µs of CPU per 4 KiB page, ~4.6 s per GiB, measured 2026-11-29), and `dataSync` copies every read into a new
 * ArrayBuffer while `tf.tensor` stages every upload in one. Reading and writing the heap in place avoids both.
 */
interface WasmHeapBackend {
  wasm: { HEAPU8: Uint8Array; _malloc(bytes: number): number; _free(offset: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number; dtype: string; shape: number[] } | undefined };
  write(values: null, shape: number[], dtype: 'float32'): object;
}

function wasmBackend(): WasmHeapBackend | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<WasmHeapBackend>;
  if (!backend.wasm?.HEAPU8 || !backend.dataIdMap || typeof backend.write !== 'function') return undefined;
  return backend as WasmHeapBackend;
}

/**
 * A float32 view of `t`'s values in the wasm heap, without a copy; `undefined` on other backends (use `dataSync`).
 * Valid only until the next tfjs allocation or op (the heap may grow and move): read it at once, never keep it.
 */
export function wasmHeapView(t: tf.Tensor): Float32Array | undefined {
  const backend = wasmBackend();
  if (!backend || t.dtype !== 'float32') return undefined;
  const entry = backend.dataIdMap.get(t.dataId);
  if (!entry) return undefined;
  return new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, t.size);
}

/**
 * A new float32 tensor of `shape` whose values `fill` writes straight into the wasm heap (no host staging array);
 * `undefined` on other backends. `fill` must not run tfjs ops (the view would go stale).
 */
export function wasmTensorFilled<R extends tf.Rank>(shape: number[], fill: (values: Float32Array) => void): tf.Tensor<R> | undefined {
  const backend = wasmBackend();
  if (!backend) return undefined;
  const dataId = backend.write(null, shape, 'float32');
  const engine = tf.engine() as unknown as { makeTensorFromDataId(dataId: object, shape: number[], dtype: 'float32', backend: unknown): tf.Tensor<R> };
  const tensor = engine.makeTensorFromDataId(dataId, shape, 'float32', backend);
  const entry = backend.dataIdMap.get(dataId)!;
  fill(new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, tensor.size));
  return tensor;
}

/**
 * Set by the native GEMM (native-kernels.ts, Node only) while it routes matmuls: products then read a weight's own
 * heap copy every time, so `wasmReleasePackedWeight` must keep it. Internal; not exported from the entries.
 */
export const heapHooks = { keepWeights: false, minMacs: 0 };

/**
 * Whether a layer should upload its weights W [out, in] as they are and multiply `x · Wᵀ` with `transposeB` (true
 * while the native GEMM routes this thread's wasm products: MLAS reads either layout at the same speed, so the host
 * transpose XNNPACK's fast path needs — ~30 ns per weight, 4.8 s for a 7B layer — is saved), or transpose them to
 * [in, out] first (false: XNNPACK, and every other backend). Given the weight's size `macs` (in · out: the
 * multiply-adds per output row of the products it serves), false also when it is too small for the native GEMM
 * (those products stay on XNNPACK, whose fast path wants [in, out]).
 */
export function matmulWeightsRowMajor(macs?: number): boolean {
  return heapHooks.keepWeights && tf.getBackend() === 'wasm' && (macs === undefined || macs >= heapHooks.minMacs);
}

/** Data ids whose heap memory `wasmReleasePackedWeight` freed (their values are garbage). */
const released = new WeakSet<object>();

/** Whether `t`'s heap copy was freed by `wasmReleasePackedWeight` (only XNNPACK's packed copy remains). */
export function wasmWeightReleased(t: { dataId: object }): boolean {
  return released.has(t.dataId);
}

/**
 * Frees the heap memory of a matmul weight `t` after its first `tf.matMul(x, t)`, keeping the tensor alive.
 *
 * tfjs-backend-wasm runs a 2-D `matMul(a, b)` without transpose flags through an XNNPACK fully-connected operator
 * created on first use and cached under b's id (`batch_mat_mul_impl.cc`); creating it packs b into XNNPACK's own
 * buffer, and b's values are never read again while the operator lives (it is deleted when b is disposed). So b's
 * own copy is dead weight: freeing it halves the device memory of a resident layer. Afterwards `t` may only be used
 * as that same matmul's right operand (no bias, no activation) and disposed; reading it returns garbage. Returns
 * whether the memory was freed (false on other backends, and while the native GEMM is enabled: it reads `t` itself).
 */
export function wasmReleasePackedWeight(t: tf.Tensor): boolean {
  const backend = wasmBackend();
  if (!backend || heapHooks.keepWeights) return false;
  const entry = backend.dataIdMap.get(t.dataId);
  if (!entry) return false;
  released.add(t.dataId);
  backend.wasm._free(entry.memoryOffset);
  // disposeData frees memoryOffset again later: give it a live (tiny) allocation to free.
  entry.memoryOffset = backend.wasm._malloc(4) >>> 0;
  return true;
}
