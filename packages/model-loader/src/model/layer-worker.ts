// Worker thread of LayerWorkerPool: its own tfjs backend instance; holds the layers the parent sends (host weights
// in shared memory) and runs passes over the sample slices it is given.
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '@dass/tensor-backend';
import type { BackendRequest, GemmRequest } from '@dass/tensor-backend';
import type { DType, HostTensor, WeightSource } from '../types.js';
import { DecoderLayer } from './decoder-layer.js';
import { InputStatsAccumulator } from './input-stats.js';
import { LayerContext } from './layer-context.js';
import type { LayerWorkerData, WorkerReply, WorkerRequest } from './layer-pool.js';

const port = parentPort!;
const { config, backend, gemm } = workerData as LayerWorkerData;

/** The tensors of one layer as a weight source (no copies: the arrays are views of the parent's shared memory). */
function memorySource(tensors: [string, number[], Float32Array][]): WeightSource {
  const map = new Map<string, HostTensor>(tensors.map(([name, shape, data]) => [name, { shape, data }]));
  const get = (name: string): HostTensor => {
    const t = map.get(name);
    if (!t) throw new Error(`layer worker: tensor ${name} was not sent`);
    return t;
  };
  return {
    path: '(worker thread)',
    format: 'hf',
    config,
    tensorNames: () => [...map.keys()],
    has: (name) => map.has(name),
    shape: (name) => get(name).shape,
    dtype: (): DType => 'F32',
    readF32: async (name) => get(name),
    close: async () => {},
  };
}

async function main(): Promise<void> {
  try {
    // The parent's GEMM engine request (native: onnxruntime-node with one intra-op thread per worker).
    await selectBackend(backend as BackendRequest, { gemm: gemm as GemmRequest | undefined });
  } catch (err) {
    port.postMessage({ id: -1, ok: false, error: (err as Error).message } satisfies WorkerReply);
    return;
  }
  const context = new LayerContext(config);
  const layers = new Map<number, DecoderLayer>();
  const layerOf = (uid: number): DecoderLayer => {
    const layer = layers.get(uid);
    if (!layer) throw new Error(`layer worker: layer #${uid} is not loaded`);
    return layer;
  };

  const handle = async (msg: WorkerRequest): Promise<void> => {
    try {
      switch (msg.type) {
        case 'load': {
          layers.get(msg.uid)?.dispose();
          layers.set(msg.uid, await DecoderLayer.load(memorySource(msg.tensors), msg.index, context));
          port.postMessage({ id: msg.id, ok: true } satisfies WorkerReply);
          return;
        }
        case 'set':
          layerOf(msg.uid).setLinearWeight(msg.linear, msg.data);
          port.postMessage({ id: msg.id, ok: true } satisfies WorkerReply);
          return;
        case 'drop':
          layers.get(msg.uid)?.dispose();
          layers.delete(msg.uid);
          port.postMessage({ id: msg.id, ok: true } satisfies WorkerReply);
          return;
        case 'run': {
          const layer = layerOf(msg.uid);
          const stats = msg.stats ? new InputStatsAccumulator(msg.stats, (l) => layer.linearWeight(l).shape[1]!) : undefined;
          const output = await layer.run(msg.hidden, msg.batch, msg.seqLen, {
            stats,
            maxTokensPerPass: msg.maxTokensPerPass,
            keepResidual: msg.keepResidual,
            skipOutput: msg.skipOutput,
            fromResidual: msg.fromResidual,
          });
          const data = stats?.toData();
          const transfer: ArrayBuffer[] = [output.buffer as ArrayBuffer];
          if (data) for (const [, v] of [...data.sumSq, ...data.gram]) transfer.push(v.buffer as ArrayBuffer);
          port.postMessage({ id: msg.id, ok: true, output, stats: data } satisfies WorkerReply, transfer);
          return;
        }
      }
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: (err as Error).message } satisfies WorkerReply);
    }
  };

  // One message at a time, in arrival order (a 'set' must land before the 'run' that follows it).
  let queue = Promise.resolve();
  port.on('message', (msg: WorkerRequest) => {
    queue = queue.then(() => handle(msg));
  });
  port.postMessage({ id: -1, ok: true, ready: true } satisfies WorkerReply);
}

void main();
