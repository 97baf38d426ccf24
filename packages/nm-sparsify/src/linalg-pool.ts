// A small pool of worker threads, each with its own tfjs wasm backend, that split the float32 products of the blocked
// Cholesky / triangular inverse and of SparseGPT's lazy updates by rows. The callers stay synchronous: operands live
// in SharedArrayBuffers, a product is handed to the workers through a shared control block (Atomics.notify) while
// the main thread computes its own share, and the main thread then waits (Atomics.wait) for theirs. Every row of a
// product is computed by exactly one thread with the same code (gemm-core.ts), so results do not depend on the
// thread count except through which tfjs instance summed a row.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { currentBackend } from '@dass/tensor-backend';
import { productRows, syrkRows, gemmTuning, uploadB, type ProductArgs, type RealArray } from './gemm-core.js';
import { InvalidArgumentError } from '@dass/errors';
import { activeLinalgPool, setActiveLinalgPool } from './linalg-active.js';

/** Int32 slots of one worker's control block. */
export const CTRL = { cmd: 0, done: 1, packed: 2, go: 3, failed: 4, stride: 16 } as const;
/** Float64 parameter slots per worker. */
export const PARAM_STRIDE = 32;
/** Commands (params[0]). */
export const OP = { product: 1, syrk: 2, forget: 3, quit: 4 } as const;
const WRITE_MODES = ['set', 'neg', 'add', 'sub'] as const;
export { WRITE_MODES };

/**
 * `minFlops`: products below this many flops (2·m·k·n) run on the main thread alone (handing them out costs ~0.1 ms).
 * Internal: tests lower it so that small matrices split over threads.
 */
export const poolTuning = { minFlops: 2e7 };
/** A thread's share of a product is at least this many rows. */
const MIN_ROWS = 16;
/** How long the main thread waits for a worker's share before it reports the worker as lost. */
const WAIT_LIMIT_MS = 30 * 60 * 1000;

/** What a worker needs to start. */
export interface LinalgWorkerData {
  ctrl: SharedArrayBuffer;
  params: SharedArrayBuffer;
  index: number;
  port: MessagePort;
  backend: string;
  /** The main thread's GEMM engine request (see `GemmRequest` of @dass/tensor-backend). */
  gemm?: string;
}

/** A shared array announced to a worker (sent through its port before the command that first uses it). */
export interface ArrayRegistration {
  id: number;
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
  type: 'f64' | 'f32';
}

function workerEntry(): string {
  const beside = fileURLToPath(new URL('./linalg-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../dist/linalg-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`linalg worker script not found (${beside}, ${built}): build @dass/nm-sparsify first (pnpm build)`);
}

function isShared(x: RealArray): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && x.buffer instanceof SharedArrayBuffer;
}

/** Region [first row, last row] × [first col, last col] of a row-major region, for overlap tests. */
function rect(off: number, ld: number, rows: number, cols: number): [number, number, number, number] {
  const r = Math.floor(off / ld);
  const c = off - r * ld;
  return [r, r + rows - 1, c, c + cols - 1];
}

function overlaps(x: RealArray, xOff: number, xld: number, xr: number, xc: number, y: RealArray, yOff: number, yld: number, yr: number, yc: number): boolean {
  if (x.buffer !== y.buffer) return false;
  if (x !== y || xld !== yld) return true; // different views of one buffer: assume the worst
  const [a0, a1, b0, b1] = rect(xOff, xld, xr, xc);
  const [c0, c1, d0, d1] = rect(yOff, yld, yr, yc);
  return a0 <= c1 && c0 <= a1 && b0 <= d1 && d0 <= b1;
}

/**
 * Worker threads (threads − 1 of them; the main thread computes too) for the float32 products of linalg-blocked.ts
 * and sparsegpt.ts. Create with `startLinalgPool` (async: each worker loads tfjs-wasm), then the synchronous code
 * finds it with `activeLinalgPool()`; `stopLinalgPool()` ends it. Only arrays backed by SharedArrayBuffer can be
 * shared (`sharedFloat64Array` / `sharedFloat32Array` allocate them while a pool is active); products on other
 * arrays, or too small to pay for the hand-off, run on the main thread alone.
 */
export class LinalgPool {
  private readonly ctrl: Int32Array;
  private readonly params: Float64Array;
  private seq = 0;
  private nextArrayId = 1;
  private ids = new WeakMap<RealArray, number>();
  private closed = false;
  /** Products and symmetric updates split over the threads so far (diagnostics and tests). */
  splitProducts = 0;

  private constructor(
    readonly threads: number,
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
    ctrl: SharedArrayBuffer,
    params: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(ctrl);
    this.params = new Float64Array(params);
  }

  /** Starts threads − 1 workers on the active backend (which must be wasm) and waits until each is ready. */
  static async create(threads: number): Promise<LinalgPool> {
    if (!Number.isInteger(threads) || threads < 2) throw new InvalidArgumentError('threads', `a linalg pool needs an integer >= 2, got ${threads}`);
    const backend = currentBackend()?.name;
    if (backend !== 'wasm') throw new Error(`linalg pool: needs the wasm backend active in the main thread (got ${backend ?? 'none'})`);
    const count = threads - 1;
    const ctrl = new SharedArrayBuffer(count * CTRL.stride * 4);
    const params = new SharedArrayBuffer(count * PARAM_STRIDE * 8);
    const entry = workerEntry();
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const channel = new MessageChannel();
      const data: LinalgWorkerData = { ctrl, params, index, port: channel.port2, backend, gemm: currentBackend()?.gemm?.request };
      const worker = new Worker(entry, { workerData: data, transferList: [channel.port2] });
      workers.push(worker);
      ports.push(channel.port1);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', (msg: { ready?: boolean; error?: string }) =>
            msg.ready ? resolve() : reject(new Error(`linalg worker ${index}: ${msg.error}`)),
          );
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`linalg worker ${index} exited (code ${code}) before it was ready`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    for (const w of workers) {
      w.removeAllListeners('exit');
      w.removeAllListeners('error');
      w.on('error', () => {});
      w.unref();
    }
    for (const p of ports) p.unref();
    return new LinalgPool(threads, workers, ports, ctrl, params);
  }

  /** Whether the pool can see this array (SharedArrayBuffer-backed). */
  canShare(x: RealArray): boolean {
    return !this.closed && isShared(x);
  }

  private idOf(x: RealArray): number {
    let id = this.ids.get(x);
    if (id !== undefined) return id;
    id = this.nextArrayId++;
    this.ids.set(x, id);
    const reg: ArrayRegistration = {
      id,
      buffer: x.buffer as SharedArrayBuffer,
      byteOffset: x.byteOffset,
      length: x.length,
      type: x instanceof Float64Array ? 'f64' : 'f32',
    };
    for (const port of this.ports) port.postMessage(reg);
    return id;
  }

  private slot(w: number, i: number): number {
    return w * CTRL.stride + i;
  }

  private post(w: number, values: number[]): number {
    const base = w * PARAM_STRIDE;
    for (let i = 0; i < values.length; i++) this.params[base + i] = values[i]!;
    const seq = ++this.seq;
    Atomics.store(this.ctrl, this.slot(w, CTRL.cmd), seq);
    Atomics.notify(this.ctrl, this.slot(w, CTRL.cmd));
    return seq;
  }

  private waitFor(w: number, field: number, seq: number): void {
    const at = this.slot(w, field);
    const start = Date.now();
    for (;;) {
      const v = Atomics.load(this.ctrl, at);
      if (v >= seq || Atomics.load(this.ctrl, this.slot(w, CTRL.failed)) !== 0) break;
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error(`linalg worker ${w}: no answer after ${WAIT_LIMIT_MS / 1000} s`);
      Atomics.wait(this.ctrl, at, v, 1000);
    }
    if (Atomics.load(this.ctrl, this.slot(w, CTRL.failed)) !== 0) {
      const msg = receiveMessageOnPort(this.ports[w]!)?.message as { error?: string } | undefined;
      this.closed = true;
      throw new Error(`linalg worker ${w} failed: ${msg?.error ?? 'unknown error'}`);
    }
  }

  /** Row boundaries splitting m rows into `parts` nearly equal shares (multiples of 8). */
  private static split(m: number, parts: number): number[] {
    const b = [0];
    for (let t = 1; t < parts; t++) b.push(Math.min(m, Math.round((m * t) / parts / 8) * 8));
    b.push(m);
    return b;
  }

  /**
   * C op= A·op(B) split by rows over the threads, or false when it cannot be (arrays not shared, too small, or
   * C overlapping A in a way a row split would race on). Arguments as multiplyF32.
   */
  tryProduct(p: ProductArgs): boolean {
    const { m, k, n } = p;
    if (this.closed || m <= 0 || n <= 0 || k <= 0 || 2 * m * k * n < poolTuning.minFlops) return false;
    if (!isShared(p.c) || !isShared(p.a) || !isShared(p.b)) return false;
    const parts = Math.min(this.threads, Math.floor(m / MIN_ROWS));
    if (parts < 2) return false;
    // A row of C may be its own row of A (in place), nothing else of A: A is read chunk by chunk.
    const sameAsA = p.c === p.a && p.cOff === p.aOff && p.ldc === p.lda;
    if (!sameAsA && overlaps(p.c, p.cOff, p.ldc, m, n, p.a, p.aOff, p.lda, m, k)) return false;
    // C overlapping B: every thread uploads B before any writes (a barrier).
    const [br, bc] = p.bTrans ? [n, k] : [k, n];
    const barrier = overlaps(p.c, p.cOff, p.ldc, m, n, p.b, p.bOff, p.ldb, br, bc) ? 1 : 0;
    const bounds = LinalgPool.split(m, parts);
    const cId = this.idOf(p.c);
    const aId = this.idOf(p.a);
    const bId = this.idOf(p.b);
    const mode = WRITE_MODES.indexOf(p.mode);
    this.splitProducts++;
    const seqs: number[] = [];
    for (let w = 0; w < parts - 1; w++) {
      const r0 = bounds[w + 1]!;
      const r1 = bounds[w + 2]!;
      seqs.push(
        this.post(w, [
          OP.product,
          mode,
          cId,
          p.cOff + r0 * p.ldc,
          p.ldc,
          aId,
          p.aOff + r0 * p.lda,
          p.lda,
          bId,
          p.bOff,
          p.ldb,
          p.bTrans ? 1 : 0,
          r1 - r0,
          k,
          n,
          barrier,
        ]),
      );
    }
    let bt;
    try {
      bt = uploadB(p);
    } catch (err) {
      // Still release the workers waiting at the barrier, then wait for them, before reporting.
      this.finish(seqs, barrier);
      throw err;
    }
    try {
      if (barrier) this.release(seqs);
      productRows(p, bt, 0, bounds[1]!);
    } finally {
      bt.dispose();
      this.finishWaits(seqs);
    }
    return true;
  }

  private release(seqs: number[]): void {
    for (let w = 0; w < seqs.length; w++) this.waitFor(w, CTRL.packed, seqs[w]!);
    for (let w = 0; w < seqs.length; w++) {
      Atomics.store(this.ctrl, this.slot(w, CTRL.go), seqs[w]!);
      Atomics.notify(this.ctrl, this.slot(w, CTRL.go));
    }
  }

  private finish(seqs: number[], barrier: number): void {
    if (barrier) this.release(seqs);
    this.finishWaits(seqs);
  }

  private finishWaits(seqs: number[]): void {
    for (let w = 0; w < seqs.length; w++) this.waitFor(w, CTRL.done, seqs[w]!);
  }

  /**
   * Lower triangle of the order-m block at (o, o) of `a` (stride ld) −= A·Aᵀ with A the m×k block at (o, c0), split
   * into row ranges of equal work (row r costs ∝ r, so boundaries at m·√(t/T)), or false when it cannot be.
   */
  trySyrk(a: RealArray, ld: number, o: number, m: number, c0: number, k: number): boolean {
    if (this.closed || !isShared(a) || k <= 0 || m * m * k < poolTuning.minFlops) return false;
    const step = gemmTuning.syrkRows;
    const blocks = Math.ceil(m / step);
    const parts = Math.min(this.threads, blocks);
    if (parts < 2) return false;
    const bounds = [0];
    for (let t = 1; t < parts; t++) {
      const r = Math.round((m * Math.sqrt(t / parts)) / step) * step;
      bounds.push(Math.max(bounds[t - 1]!, Math.min(m, r)));
    }
    bounds.push(m);
    const id = this.idOf(a);
    this.splitProducts++;
    const seqs: number[] = [];
    // The main thread takes the first (shortest-row) range; workers the later ones.
    for (let w = 0; w < parts - 1; w++) seqs.push(this.post(w, [OP.syrk, id, ld, o, m, c0, k, bounds[w + 1]!, bounds[w + 2]!]));
    try {
      syrkRows(a, ld, o, m, c0, k, 0, bounds[1]!);
    } finally {
      this.finishWaits(seqs);
    }
    return true;
  }

  /** Workers drop the arrays they were shown and their packing scratch (after each top-level job). */
  forget(): void {
    if (this.closed) return;
    this.ids = new WeakMap();
    const seqs = this.workers.map((_, w) => this.post(w, [OP.forget]));
    this.finishWaits(seqs);
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    if (this.closed && this.workers.length === 0) return;
    this.closed = true;
    for (let w = 0; w < this.workers.length; w++) this.post(w, [OP.quit]);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
    this.workers.length = 0;
  }
}

// The active pool's slot and the shared-array helpers live in linalg-active.ts (no Node built-ins; browsers load it).
export { activeLinalgPool, sharedFloat64Array, sharedFloat32Array, productAnywhere } from './linalg-active.js';

/**
 * Default thread count for SparseGPT's products: every core this process may use on the wasm backend (one kernel
 * thread each), 1 elsewhere (the native tensorflow backends use every core already; `cpu` is too slow to matter).
 */
export function defaultLinalgThreads(): number {
  return currentBackend()?.name === 'wasm' ? availableParallelism() : 1;
}

/**
 * Runs `fn` with a LinalgPool of `threads` threads (main + threads − 1 workers) active, then ends it. `threads` 1
 * (or a backend other than wasm) runs `fn` with no pool: today's single-threaded path.
 */
export async function withLinalgPool<T>(threads: number, fn: () => Promise<T> | T): Promise<T> {
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError('threads', `expected a positive integer, got ${threads}`);
  if (threads < 2 || activeLinalgPool() || currentBackend()?.name !== 'wasm') return fn();
  const pool = await LinalgPool.create(threads);
  setActiveLinalgPool(pool);
  try {
    return await fn();
  } finally {
    setActiveLinalgPool(undefined);
    await pool.close();
  }
}
