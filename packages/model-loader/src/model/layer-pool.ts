import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LinearName, ModelConfig } from '../types.js';
import type { DecoderLayer } from './decoder-layer.js';
import type { InputStatsData, InputStatsRequest } from './input-stats.js';
import { InvalidArgumentError } from '@dass/errors';
import { currentBackend, type GemmRequest } from '@dass/tensor-backend';
import { registerLayerPool } from './layer-pool-registry.js';

/** One worker pass over a contiguous slice of the samples. */
export interface PoolRunOptions {
  stats?: InputStatsRequest;
  maxTokensPerPass?: number;
  keepResidual?: boolean;
  skipOutput?: boolean;
  fromResidual?: boolean;
}

/** Parent → worker. Each message gets one reply (`WorkerReply`) with the same id, in order. */
export type WorkerRequest =
  | { type: 'load'; id: number; uid: number; index: number; tensors: [string, number[], Float32Array][] }
  | { type: 'set'; id: number; uid: number; linear: LinearName; data: Float32Array }
  | ({ type: 'run'; id: number; uid: number; hidden?: Float32Array; batch: number; seqLen: number } & PoolRunOptions)
  | { type: 'drop'; id: number; uid: number };

/** A successful reply to a request. */
export interface WorkerResult {
  id: number;
  ok: true;
  output?: Float32Array;
  stats?: InputStatsData;
}

/** Distributes Omit over the request union (a plain Omit would merge its members). */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

export type WorkerReply = WorkerResult | { id: number; ok: false; error: string } | { id: -1; ok: true; ready: true } | { id: -1; ok: false; error: string };

/** What the worker needs to start: the model's config and the tfjs backend (and its GEMM engine) the parent uses. */
export interface LayerWorkerData {
  config: ModelConfig;
  backend: string;
  gemm?: GemmRequest;
}

/** Below this many FLOPs per layer pass, starting worker threads (a second or more each) costs more than they save. */
export const MIN_PARALLEL_PASS_FLOPS = 2e9;

/** FLOPs of the linear projections of one decoder-layer pass over `tokens` tokens: 2 · tokens · (layer weights). */
export function layerPassFlops(config: ModelConfig, tokens: number): number {
  const { hiddenSize: d, intermediateSize: h, numHeads, numKvHeads, headDim } = config;
  return 2 * tokens * (d * (2 * numHeads * headDim + 2 * numKvHeads * headDim) + 3 * d * h);
}

/**
 * Default thread count: every core this process may use (`os.availableParallelism()`) on the wasm and cpu backends
 * (one kernel thread each); 1 on the native tensorflow backends, whose kernels use every core already. Given the
 * work of a pass (`config`, `tokens` per layer pass), 1 when it is below `MIN_PARALLEL_PASS_FLOPS` (tiny models).
 */
export function defaultThreads(backend = 'wasm', work?: { config: ModelConfig; tokens: number }): number {
  if (backend !== 'wasm' && backend !== 'cpu') return 1;
  if (work && layerPassFlops(work.config, work.tokens) < MIN_PARALLEL_PASS_FLOPS) return 1;
  return availableParallelism();
}

/**
 * The compiled worker script. Next to this module in dist/; from the TypeScript sources (tests) the package's
 * built copy is used, so tests that start threads need `pnpm build` first (turbo's `test` depends on it).
 */
function workerEntry(): string {
  const beside = fileURLToPath(new URL('./layer-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/model/layer-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`layer worker script not found (${beside}, ${built}): build @dass/model-loader first (pnpm build)`);
}

interface Lane {
  worker: Worker;
  /** Layers (by uid) this worker holds. */
  loaded: Set<number>;
  pending: Map<number, { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void }>;
  failed?: Error;
}

/**
 * Worker threads, each with its own tfjs (wasm) instance, that run decoder-layer passes over disjoint slices of the
 * samples: calibration samples and evaluation windows are independent within a layer, so a layer's pass splits
 * into `threads` contiguous sample slices, and their input statistics (sums over tokens) merge by addition.
 *
 * The parent keeps each layer's host weights in shared memory (SharedArrayBuffer): a worker reads them without a
 * copy and uploads them to its own wasm heap (so each thread holds one layer's device copy). Changed weights
 * (pruning) are sent before the next pass; `release` drops a layer from every worker. Kept residuals
 * (`keepResidual`) stay in the worker that computed them, which is why the same `batch` always splits the same way.
 */
export class LayerWorkerPool {
  private nextId = 1;
  private closed = false;

  private constructor(
    readonly threads: number,
    private readonly lanes: Lane[],
  ) {}

  /** Starts `threads` workers (≥ 2; use no pool for 1) and waits until each has initialised its backend. */
  static async create(options: { threads: number; config: ModelConfig; backend: string }): Promise<LayerWorkerPool> {
    const { threads } = options;
    if (!Number.isInteger(threads) || threads < 2) throw new InvalidArgumentError('threads', `a worker pool needs an integer >= 2, got ${threads}`);
    const entry = workerEntry();
    const workerData: LayerWorkerData = { config: options.config, backend: options.backend, gemm: currentBackend()?.gemm?.request };
    const lanes: Lane[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(entry, { workerData });
      const lane: Lane = { worker, loaded: new Set(), pending: new Map() };
      lanes.push(lane);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (reply: WorkerReply) => {
            if (reply.id === -1) {
              worker.off('message', onMessage);
              if (reply.ok) resolve();
              else reject(new Error(`layer worker ${i} failed to start: ${reply.error}`));
            }
          };
          worker.on('message', onMessage);
          worker.once('error', (err) => reject(new Error(`layer worker ${i} failed to start: ${err.message}`)));
        }),
      );
      worker.on('message', (reply: WorkerReply) => {
        if (reply.id === -1) return;
        const waiter = lane.pending.get(reply.id);
        if (!waiter) return;
        lane.pending.delete(reply.id);
        if (lane.pending.size === 0) worker.unref();
        waiter.resolve(reply);
      });
      const fail = (err: Error) => {
        lane.failed = err;
        for (const w of lane.pending.values()) w.reject(err);
        lane.pending.clear();
      };
      worker.on('error', (err) => fail(new Error(`layer worker ${i} crashed: ${err.message}`)));
      worker.on('exit', (code) => fail(new Error(`layer worker ${i} exited (code ${code})`)));
    }
    const pool = new LayerWorkerPool(threads, lanes);
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.close();
      throw err;
    }
    for (const lane of lanes) lane.worker.unref();
    return pool;
  }

  private send(lane: Lane, message: Unsent<WorkerRequest>, transfer: ArrayBuffer[] = []): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(new Error('the layer worker pool was closed'));
    if (lane.failed) return Promise.reject(lane.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      lane.pending.set(id, {
        resolve: (reply) => (reply.ok ? resolve(reply as WorkerResult) : reject(new Error((reply as { error: string }).error))),
        reject,
      });
      lane.worker.ref();
      lane.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Sample slices [start, end) per worker for `batch` samples: contiguous, sizes differ by at most one. */
  static split(batch: number, threads: number): [number, number][] {
    const parts = Math.min(batch, threads);
    const out: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < parts; i++) {
      const size = Math.floor(batch / parts) + (i < batch % parts ? 1 : 0);
      out.push([start, start + size]);
      start += size;
    }
    return out;
  }

  /** Makes sure `lane` holds `layer` with its current weights. */
  private async sync(lane: Lane, layer: DecoderLayer, dirty: [LinearName, Float32Array][]): Promise<void> {
    if (!lane.loaded.has(layer.uid)) {
      const tensors = layer.hostTensors().map(([name, t]) => [name, t.shape, t.data] as [string, number[], Float32Array]);
      await this.send(lane, { type: 'load', uid: layer.uid, index: layer.index, tensors });
      lane.loaded.add(layer.uid);
      return;
    }
    for (const [linear, data] of dirty) await this.send(lane, { type: 'set', uid: layer.uid, linear, data });
  }

  /**
   * Runs `layer` over `batch` samples of `seqLen` tokens split across the workers. `hidden` may be omitted with
   * `fromResidual`. Returns the concatenated outputs and the merged statistics.
   */
  async run(
    layer: DecoderLayer,
    hidden: Float32Array | undefined,
    batch: number,
    seqLen: number,
    options: PoolRunOptions,
  ): Promise<{ output: Float32Array; stats?: InputStatsData }> {
    const d = layer.config.hiddenSize;
    const slices = LayerWorkerPool.split(batch, this.threads);
    const dirty = layer.takeDirty();
    const output = new Float32Array(options.skipOutput ? 0 : batch * seqLen * d);
    const replies = await Promise.all(
      slices.map(async ([start, end], i) => {
        const lane = this.lanes[i]!;
        await this.sync(lane, layer, dirty);
        // A copy of the slice, transferred (not cloned) to the worker.
        const part = hidden && !options.fromResidual ? hidden.slice(start * seqLen * d, end * seqLen * d) : undefined;
        return this.send(lane, { type: 'run', uid: layer.uid, hidden: part, batch: end - start, seqLen, ...options }, part ? [part.buffer as ArrayBuffer] : []);
      }),
    );
    // Workers that took no slice this time still need later weight changes: they reload the layer when next used.
    for (let i = slices.length; i < this.lanes.length; i++) {
      if (dirty.length > 0 && this.lanes[i]!.loaded.has(layer.uid)) {
        this.lanes[i]!.loaded.delete(layer.uid);
        void this.send(this.lanes[i]!, { type: 'drop', uid: layer.uid }).catch(() => {});
      }
    }
    let stats: InputStatsData | undefined;
    replies.forEach((reply, i) => {
      if (reply.output && output.length > 0) output.set(reply.output, slices[i]![0] * seqLen * d);
      if (reply.stats) {
        if (!stats) stats = reply.stats;
        else {
          addPairs(stats.sumSq, reply.stats.sumSq);
          addPairs(stats.gram, reply.stats.gram);
          stats.tokens += reply.stats.tokens;
        }
      }
    });
    return { output, stats };
  }

  /** Drops a layer from every worker (called by `DecoderLayer.dispose`). */
  release(uid: number): void {
    for (const lane of this.lanes) {
      if (lane.loaded.delete(uid)) void this.send(lane, { type: 'drop', uid }).catch(() => {});
    }
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane.worker.terminate()));
  }
}

function addPairs(into: [LinearName, Float64Array][], from: [LinearName, Float64Array][]): void {
  from.forEach(([name, values], i) => {
    const acc = into[i]![1];
    if (into[i]![0] !== name || acc.length !== values.length) throw new Error(`stats merge: worker statistics for ${name} do not line up`);
    for (let j = 0; j < acc.length; j++) acc[j] += values[j]!;
  });
}

// CausalLM finds the pool through the registry (the browser entry never loads this module).
registerLayerPool((options) => LayerWorkerPool.create(options));
