/**
 * Routes the tfjs wasm backend's large matrix products to the native GEMM (native-gemm.ts, onnxruntime-node's MLAS)
 * by replacing its `BatchMatMul` and `_FusedMatMul` kernels in this thread's tfjs kernel registry. Inputs are read
 * from, and the output written into, the wasm heap in place; what the native path does not take (batched or small
 * products, non-float32, a bias or activation, a weight whose heap copy was freed) goes to the original XNNPACK
 * kernel, which is kept and restored by `disableNativeGemm`. Node only: not part of the browser entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dass/errors';
import { nativeGemm, nativeGemmLoadError, type NativeGemm } from './native-gemm.js';
import { heapHooks, wasmWeightReleased } from './wasm-heap.js';

/**
 * Products with fewer multiply-adds per output row (k·n: the right operand's size) than this stay on XNNPACK by
 * default. The choice depends on k and n only, never on m, so splitting a product's rows over threads (the passes'
 * samples, SparseGPT's row blocks) keeps every row on the same engine, and MLAS's rows do not depend on m either
 * (m ≥ 2; m = 1 takes its GEMV path): results do not change with the thread count. 2¹³ is the former m·k·n
 * threshold of 2²¹ at 256 rows: below ~1–2e6 multiply-adds the two engines are within the call overhead of each
 * other (measured on the 2-core benchmark machine: see README, "Faster GEMM"); the layer projections (k·n ≥ 4096²
 * for 7B, 64 × 172 for stories260K) are above it, per-head attention products at short context below it.
 */
export const DEFAULT_NATIVE_MIN_MACS = 1 << 13;

/** What the native GEMM does in this thread: whether it is routing products, which engine, and why not if not. */
export interface NativeGemmStatus {
  /** True when the wasm backend's matmul kernels are routed to the native GEMM in this thread. */
  active: boolean;
  /** `onnxruntime-node 1.30.0 (MLAS)` when active. */
  engine?: string;
  /** Intra-op threads of the native GEMM when active. */
  threads?: number;
  /** Products with fewer multiply-adds per output row (k·n) stay on XNNPACK (when active). */
  minMacs?: number;
  /** Why it is not active: not enabled, or onnxruntime-node failed to load (its message). */
  reason?: string;
  /** Products routed to the native GEMM / left to XNNPACK since it was enabled (this thread). */
  calls?: { native: number; wasm: number };
}

interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

interface State {
  gemm: NativeGemm;
  minMacs: number;
  originals: Map<string, tf.KernelConfig>;
  calls: { native: number; wasm: number };
}

let state: State | undefined;
let lastReason = 'not enabled';

const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

function heapF32(backend: WasmBackendLike, t: tf.TensorInfo, size: number): Float32Array {
  const entry = backend.dataIdMap.get(t.dataId)!;
  return new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, size);
}

/**
 * The native product for `a`, `b` (TensorInfos on the wasm backend) when the native path takes it; undefined to
 * delegate. Output shape as tfjs's BatchMatMul: the broadcast batch dims (all 1 here) then [m, n].
 */
function nativeProduct(s: State, backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  for (let i = 0; i < ra - 2; i++) if (a.shape[i] !== 1) return undefined;
  for (let i = 0; i < rb - 2; i++) if (b.shape[i] !== 1) return undefined;
  const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb || m === 0 || k === 0 || n === 0) return undefined; // the original kernel reports the mismatch
  if (k * n < s.minMacs) return undefined; // k·n, not m·k·n: the engine must not depend on how rows are split
  if (wasmWeightReleased(a) || wasmWeightReleased(b)) return undefined;
  const outShape = [...new Array<number>(Math.max(ra, rb) - 2).fill(1), m, n];
  // Allocate first: allocation may grow (and move) the heap, so the views are taken after it.
  const out = backend.makeOutput(outShape, 'float32');
  s.gemm.matmul(heapF32(backend, a, m * k), heapF32(backend, b, k * n), m, k, n, { transA, transB, out: heapF32(backend, out, m * n) });
  return out;
}

function overrideOf(name: (typeof KERNELS)[number], original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const s = state;
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as WasmBackendLike;
    const at = attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string };
    const plain =
      name === 'BatchMatMul' || (inputs['bias'] === undefined && inputs['preluActivationWeights'] === undefined && (at.activation ?? 'linear') === 'linear');
    if (s && plain && backend.wasm?.HEAPU8) {
      const out = nativeProduct(s, backend, inputs['a'] as tf.TensorInfo, inputs['b'] as tf.TensorInfo, !!at.transposeA, !!at.transposeB);
      if (out) {
        s.calls.native++;
        return out;
      }
    }
    if (s) s.calls.wasm++;
    return original.kernelFunc(args);
  };
  return { ...original, kernelFunc };
}

/**
 * Routes this thread's wasm-backend matmuls (`tf.matMul`, `tf.fused.matMul` without bias / activation) with at least
 * `minMacs` multiply-adds per output row (k·n, default `DEFAULT_NATIVE_MIN_MACS`; m does not count, so a product's rows
 * split over threads stay on one engine) and no batch (every leading dim 1) to the
 * native GEMM with `threads` intra-op threads (default 1). Results agree with XNNPACK's to float32 rounding (the
 * summation order differs). Idempotent; calling again with other options replaces them.
 *
 * While active, `wasmReleasePackedWeight` keeps weights' heap copies (the native GEMM reads them every product), and
 * weights released before enabling keep running on XNNPACK.
 *
 * When onnxruntime-node cannot load: with `required` throws `NativeGemmUnavailableError` (code
 * DASS_BACKEND_UNAVAILABLE, field `gemm`); otherwise nothing changes and the returned status says why.
 * `InvalidArgumentError` for a non-positive `threads` or a negative `minMacs`.
 */
export function enableNativeGemm(options: { threads?: number; minMacs?: number; required?: boolean } = {}): NativeGemmStatus {
  const minMacs = options.minMacs ?? DEFAULT_NATIVE_MIN_MACS;
  if (!(Number.isFinite(minMacs) && minMacs >= 0)) throw new InvalidArgumentError('minMacs', `expected a number ≥ 0, got ${minMacs}`);
  const gemm = nativeGemm({ threads: options.threads ?? 1, required: options.required });
  if (!gemm) {
    disableNativeGemm();
    lastReason = `onnxruntime-node could not be loaded: ${nativeGemmLoadError()}`;
    return nativeGemmStatus();
  }
  if (state) {
    state.gemm = gemm;
    state.minMacs = minMacs;
    heapHooks.minMacs = minMacs;
    return nativeGemmStatus();
  }
  const originals = new Map<string, tf.KernelConfig>();
  for (const name of KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue; // tfjs-backend-wasm not loaded in this thread
    originals.set(name, original);
  }
  if (originals.size === 0) {
    lastReason = 'tfjs-backend-wasm is not loaded in this thread';
    return nativeGemmStatus();
  }
  state = { gemm, minMacs, originals, calls: { native: 0, wasm: 0 } };
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(overrideOf(name as (typeof KERNELS)[number], original));
  }
  heapHooks.keepWeights = true;
  heapHooks.minMacs = minMacs;
  return nativeGemmStatus();
}

/** Restores the wasm backend's original matmul kernels in this thread (no-op when not enabled). */
export function disableNativeGemm(): void {
  if (!state) return;
  for (const [name, original] of state.originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  state = undefined;
  heapHooks.keepWeights = false;
  lastReason = 'disabled';
}

/** Whether this thread's wasm matmuls run on the native GEMM, with which engine and threads, or why not. */
export function nativeGemmStatus(): NativeGemmStatus {
  if (!state) return { active: false, reason: lastReason };
  return { active: true, engine: state.gemm.engine, threads: state.gemm.threads, minMacs: state.minMacs, calls: { ...state.calls } };
}
