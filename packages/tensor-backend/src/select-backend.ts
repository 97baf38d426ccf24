import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Backends in the order `auto` tries them: fastest first. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  /** The backend now active. */
  name: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfjsName: string;
  /** Why each backend tried before the chosen one was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

const require = createRequire(import.meta.url);
let current: BackendChoice | undefined;

function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 200);
}

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

async function tryCpu(): Promise<void> {
  const ok = await tf.setBackend('cpu');
  if (!ok) throw new Error('the cpu backend failed to initialise');
}

const attempts: Record<BackendName, () => Promise<void>> = {
  'tensorflow-gpu': () => tryNode('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => tryNode('@tensorflow/tfjs-node'),
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Activates a tfjs backend. `auto` tries tensorflow-gpu, tensorflow, wasm, cpu in turn and records why each
 * earlier one was skipped; a named backend that fails is an error naming the backend and the cause.
 * Calling again with the same request returns the cached choice.
 */
export async function selectBackend(request: BackendRequest = 'auto'): Promise<BackendChoice> {
  if (request !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(request)) {
    throw new TypeError(`backend: expected one of auto, ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(request)}`);
  }
  if (current && (request === 'auto' || request === current.name)) return current;
  const order: BackendName[] = request === 'auto' ? [...BACKEND_NAMES] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    try {
      await attempts[name]();
      current = { name, tfjsName: tf.getBackend(), skipped };
      return current;
    } catch (err) {
      if (request !== 'auto') throw new Error(`backend ${name} is not available: ${errorText(err)}`);
      skipped.push({ name, reason: errorText(err) });
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The backend chosen by the last `selectBackend`, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}

/** Makes sure some backend is active (auto selection) before tensor work. */
export async function ensureBackend(): Promise<BackendChoice> {
  return selectBackend('auto'); // returns the cached choice when there is one
}
