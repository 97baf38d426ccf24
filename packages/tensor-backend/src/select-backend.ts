import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BackendUnavailableError, NativeGemmUnavailableError } from './errors.js';
import type { WebGpuAdapterInfo } from './webgpu-adapter.js';
import { InvalidArgumentError } from '@dass/errors';

/**
 * Backends in the order `auto` tries them: fastest first. `webgpu` (tfjs-backend-webgpu on Dawn) counts for `auto`
 * only on a hardware adapter; a software one (SwiftShader, llvmpipe) is used only when asked for by name.
 */
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendRequest = BackendName | 'auto';

/**
 * The f32 matrix-product engine on the wasm backend: `native` = onnxruntime-node's MLAS (Node only, when the optional
 * peer dependency `onnxruntime-node` is installed; see native-gemm.ts), `wasm` = tfjs-backend-wasm's own XNNPACK,
 * `auto` = native when it loads, else wasm. Other backends use their own kernels whatever is asked.
 */
export const GEMM_NAMES = ['auto', 'native', 'wasm'] as const;
export type GemmRequest = (typeof GEMM_NAMES)[number];

/** Which GEMM engine the backend's matrix products run on. */
export interface GemmReport {
  /** What was asked for. */
  request: GemmRequest;
  /** `onnxruntime-node 1.30.0 (MLAS)`, `xnnpack` (tfjs-backend-wasm), or the backend's own (`tfjs-<backend>`). */
  engine: string;
  /** Why `auto` did not give the native engine (not installed, failed to load, not the wasm backend). */
  reason?: string;
}

export interface BackendChoice {
  /** The backend now active. */
  name: BackendName;
  /** tfjs's own name for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsName: string;
  /** For `webgpu`: the adapter (vendor, architecture, description, software or not, buffer limits). */
  adapter?: WebGpuAdapterInfo;
  /** Why each backend tried before the chosen one was skipped. */
  skipped: { name: BackendName; reason: string }[];
  /** The GEMM engine of its matrix products (see `GemmRequest`). */
  gemm?: GemmReport;
}

let current: BackendChoice | undefined;

function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 200);
}

async function tryCpu(): Promise<void> {
  const ok = await tf.setBackend('cpu');
  if (!ok) throw new Error('the cpu backend failed to initialise');
}

/** How one backend is activated (`explicit`: asked for by name, not by `auto`); throws why it cannot be. */
export type BackendAttempt = (explicit: boolean) => Promise<WebGpuAdapterInfo | void>;

const notLoaded = (name: BackendName) => async () => {
  throw new Error(`${name} is not part of this build (the platform entry of @dass/tensor-backend did not register it)`);
};

/**
 * The platform's way to activate each backend. This module needs no Node built-ins; the package's Node entry
 * (node-backends.ts) and browser entry (browser-backends.ts) register theirs when loaded. cpu is always there.
 */
const attempts: Record<BackendName, BackendAttempt> = {
  'tensorflow-gpu': notLoaded('tensorflow-gpu'),
  webgpu: notLoaded('webgpu'),
  tensorflow: notLoaded('tensorflow'),
  wasm: notLoaded('wasm'),
  cpu: tryCpu,
};

/** Installs a platform's backend activations (called by the Node and browser entries; later calls replace earlier). */
export function registerBackendAttempts(platform: Partial<Record<BackendName, BackendAttempt>>): void {
  Object.assign(attempts, platform);
}

/**
 * Routes the wasm backend's products to the requested engine and says which runs; throws when `native` is asked for
 * and cannot be had. The Node entry registers one (native-kernels.ts); without it only XNNPACK exists.
 */
export type GemmConfigurer = (request: GemmRequest) => GemmReport;

let configureGemm: GemmConfigurer = (request) => {
  if (request === 'native') {
    throw new NativeGemmUnavailableError((field) => `${field('gemm')} native is not available: this build has no native GEMM (Node only)`);
  }
  return { request, engine: 'xnnpack', ...(request === 'auto' ? { reason: 'no native GEMM in this build (Node only)' } : {}) };
};

/** The request used when `selectBackend` is given none: `auto`, or the Node entry's `DASS_GEMM` environment variable. */
let defaultGemm: { request: string; from: string } = { request: 'auto', from: 'default' };

/** Installs the platform's GEMM configurer (the Node entry's) and, optionally, where its default request comes from. */
export function registerGemmConfigurer(configurer: GemmConfigurer, defaultRequest?: { request: string; from: string }): void {
  configureGemm = configurer;
  if (defaultRequest) defaultGemm = defaultRequest;
}

function defaultGemmRequest(): GemmRequest {
  const { request, from } = defaultGemm;
  if (!(GEMM_NAMES as readonly string[]).includes(request)) {
    throw new InvalidArgumentError(from, `expected one of ${GEMM_NAMES.join(', ')}; got ${JSON.stringify(request)}`);
  }
  return request as GemmRequest;
}

/** Applies `request` to the active backend `choice` (wasm: picks the engine; others: their own kernels). */
function applyGemm(choice: BackendChoice, request: GemmRequest): GemmReport {
  if (choice.tfjsName === 'wasm') return configureGemm(request);
  if (request === 'native') {
    throw new NativeGemmUnavailableError((field) => `${field('gemm')} native needs the wasm backend; the ${choice.name} backend runs its own kernels`);
  }
  return { request, engine: `tfjs-${choice.tfjsName}`, ...(request === 'auto' ? { reason: `the ${choice.name} backend runs its own kernels` } : {}) };
}

/**
 * Activates a tfjs backend. `auto` tries tensorflow-gpu, webgpu (hardware adapters only), tensorflow, wasm, cpu in
 * turn and records why each earlier one was skipped; a named backend that fails is an error naming the backend and
 * the cause (for webgpu: no adapter, or the optional packages missing).
 * `options.gemm` picks the wasm backend's matrix-product engine (default `auto`, in Node the `DASS_GEMM` environment
 * variable when set; see `GemmRequest`); the choice's
 * `gemm` says which runs. `native` that cannot be had throws `BackendUnavailableError`-coded errors (field `gemm`).
 * Calling again with the same request returns the cached choice (its GEMM engine changed when `gemm` is given).
 */
export async function selectBackend(request: BackendRequest = 'auto', options: { gemm?: GemmRequest } = {}): Promise<BackendChoice> {
  if (request !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(request)) {
    throw new InvalidArgumentError('backend', `expected one of auto, ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(request)}`);
  }
  const gemm = options.gemm;
  if (gemm !== undefined && !(GEMM_NAMES as readonly string[]).includes(gemm)) {
    throw new InvalidArgumentError('gemm', `expected one of ${GEMM_NAMES.join(', ')}; got ${JSON.stringify(gemm)}`);
  }
  if (current && (request === 'auto' || request === current.name)) {
    if (gemm !== undefined && current.gemm?.request !== gemm) current = { ...current, gemm: applyGemm(current, gemm) };
    return current;
  }
  const order: BackendName[] = request === 'auto' ? [...BACKEND_NAMES] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    let choice: BackendChoice;
    try {
      const adapter = await attempts[name](request !== 'auto');
      choice = { name, tfjsName: tf.getBackend(), skipped, ...(adapter ? { adapter } : {}) };
    } catch (err) {
      if (request !== 'auto') throw new BackendUnavailableError((field) => `${field('backend')} ${name} is not available: ${errorText(err)}`, { cause: err });
      skipped.push({ name, reason: errorText(err) });
      continue;
    }
    // Outside the try: a GEMM engine asked for and missing is its own error, not a reason to skip the backend.
    current = { ...choice, gemm: applyGemm(choice, gemm ?? defaultGemmRequest()) };
    return current;
  }
  throw new BackendUnavailableError(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The backend chosen by the last `selectBackend`, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}

/**
 * Forgets the cached choice: the next `selectBackend` / `ensureBackend` decides afresh (for `auto`, trying each
 * backend again and recording why it skipped the earlier ones). tfjs's active backend stays as it is until then. For
 * long-lived processes that change devices, and for test runners whose files share one module cache.
 */
export function clearBackendChoice(): void {
  current = undefined;
}

/** Makes sure some backend is active (auto selection) before tensor work. */
export async function ensureBackend(): Promise<BackendChoice> {
  return selectBackend('auto'); // returns the cached choice when there is one
}

/**
 * How decoder layers run on the active backend — the ONE place this is decided.
 *
 * - `host-assisted` (wasm): the steps the wasm backend does badly run on the host: RoPE, the head split and the
 *   per-(sample, KV head) attention gather (rank-3 matmuls and slices are slow there), capture statistics
 *   accumulated in float64 from `dataSync` copies; hidden states live on the host between layers.
 * - `device` (webgpu, tensorflow-gpu, tensorflow, cpu): everything inside a layer stays a tfjs tensor; hidden states
 *   stay on the device between layers; per layer the host reads only the accumulated statistics. Reads are
 *   asynchronous (`data()`): the webgpu backend cannot read synchronously in Node.
 */
export function layerExecution(): 'host-assisted' | 'device' {
  const name = current?.tfjsName ?? tf.getBackend();
  return name === 'wasm' ? 'host-assisted' : 'device';
}

/** Whether `dataSync`/`arraySync` work on the active backend: not on webgpu in Node (its readSync needs a canvas). */
export function canReadSync(): boolean {
  return (current?.tfjsName ?? tf.getBackend()) !== 'webgpu';
}

/**
 * The largest tensor, in bytes, one device buffer may hold on the active backend: min(maxStorageBufferBindingSize,
 * maxBufferSize) of the WebGPU adapter; Infinity on backends without such a cap (either lowered by
 * `limitTensorBytes`).
 */
export function maxTensorBytes(): number {
  const adapter = current?.name === 'webgpu' && tf.getBackend() === 'webgpu' ? current.adapter : undefined;
  const cap = adapter ? Math.min(adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize) : Infinity;
  return Math.min(cap, tensorBytesLimit);
}

let tensorBytesLimit = Infinity;

/**
 * Caps `maxTensorBytes()` below what the device allows, on any backend (undefined: no extra cap). For leaving
 * headroom on a GPU shared with other work, and for tests that exercise the chunking paths on small models.
 */
export function limitTensorBytes(bytes?: number): void {
  if (bytes !== undefined && !(Number.isFinite(bytes) && bytes > 0)) throw new InvalidArgumentError('bytes', `expected a positive number, got ${bytes}`);
  tensorBytesLimit = bytes ?? Infinity;
}

/**
 * What manifests record about the backend: its name, why earlier ones were skipped, the WebGPU adapter, and the GEMM
 * engine its matrix products ran on (with why not native, for `auto`).
 */
export function backendReport(choice: BackendChoice | undefined = current): {
  name: string;
  skipped: { name: string; reason: string }[];
  adapter?: WebGpuAdapterInfo;
  gemm?: GemmReport;
} {
  if (!choice) return { name: tf.getBackend() ?? 'none', skipped: [] };
  return { name: choice.name, skipped: choice.skipped, ...(choice.adapter ? { adapter: choice.adapter } : {}), ...(choice.gemm ? { gemm: choice.gemm } : {}) };
}
