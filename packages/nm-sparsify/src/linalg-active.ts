/**
 * The slot of the active LinalgPool and what the synchronous linear algebra asks of it, without the pool itself:
 * linalg-pool.ts (Node, `node:worker_threads`) fills the slot inside `withLinalgPool`; the browser entry loads only
 * this module, so SparseGPT runs there on one thread (no pool ever registered).
 */
import type { LinalgPool } from './linalg-pool.js';
import { productSerial, type ProductArgs } from './gemm-core.js';

let active: LinalgPool | undefined;

/** The pool the synchronous linear algebra uses now, if any. */
export function activeLinalgPool(): LinalgPool | undefined {
  return active;
}

/** Sets (or clears, with undefined) the active pool; called by withLinalgPool only. */
export function setActiveLinalgPool(pool: LinalgPool | undefined): void {
  active = pool;
}

/** A zeroed Float64Array the active pool can share (SharedArrayBuffer-backed), or a plain one without a pool. */
export function sharedFloat64Array(length: number): Float64Array {
  return active ? new Float64Array(new SharedArrayBuffer(length * 8)) : new Float64Array(length);
}

/** A zeroed Float32Array the active pool can share, or a plain one without a pool. */
export function sharedFloat32Array(length: number): Float32Array {
  return active ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}

/** C op= A·op(B) on the pool when it can take it, else on this thread (see multiplyF32). */
export function productAnywhere(p: ProductArgs): void {
  if (active?.tryProduct(p)) return;
  productSerial(p);
}
