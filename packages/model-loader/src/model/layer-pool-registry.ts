/**
 * Where CausalLM finds its worker-thread pool: the Node-only `layer-pool.ts` registers itself here when loaded (the
 * package's Node entry loads it), so the browser entry runs the same CausalLM on one thread without pulling in
 * `node:worker_threads`.
 */
import type { ModelConfig } from '../types.js';
import type { LayerWorkerPool } from './layer-pool.js';

export type LayerPoolFactory = (options: { threads: number; config: ModelConfig; backend: string }) => Promise<LayerWorkerPool>;

let factory: LayerPoolFactory | undefined;

/** Called by layer-pool.ts (Node) when it loads. */
export function registerLayerPool(create: LayerPoolFactory): void {
  factory = create;
}

/** A pool of `threads` workers; an Error when no pool implementation is loaded (browsers: threads must be 1). */
export function createLayerPool(options: { threads: number; config: ModelConfig; backend: string }): Promise<LayerWorkerPool> {
  if (!factory) {
    throw new Error(`threads: ${options.threads} worker threads need Node (@dass/model-loader's Node entry); this build runs decoder layers on one thread`);
  }
  return factory(options);
}
