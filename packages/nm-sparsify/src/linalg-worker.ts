// Worker thread of LinalgPool: its own tfjs wasm backend; waits on its control slot (Atomics.wait) for a product or
// symmetric update on shared arrays, computes its rows with the same code the main thread uses, and signals back.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendRequest, type GemmRequest } from '@dass/tensor-backend';
import { productRows, releaseScratch, syrkRows, uploadB, type ProductArgs, type RealArray } from './gemm-core.js';
import { CTRL, OP, PARAM_STRIDE, WRITE_MODES, type ArrayRegistration, type LinalgWorkerData } from './linalg-pool.js';

const data = workerData as LinalgWorkerData;
const ctrl = new Int32Array(data.ctrl);
const params = new Float64Array(data.params);
const base = data.index * CTRL.stride;
const pbase = data.index * PARAM_STRIDE;
const arrays = new Map<number, RealArray>();

function drainRegistrations(): void {
  for (;;) {
    const got = receiveMessageOnPort(data.port);
    if (!got) return;
    const r = got.message as ArrayRegistration;
    arrays.set(r.id, r.type === 'f64' ? new Float64Array(r.buffer, r.byteOffset, r.length) : new Float32Array(r.buffer, r.byteOffset, r.length));
  }
}

function arrayOf(id: number): RealArray {
  const x = arrays.get(id);
  if (!x) throw new Error(`shared array #${id} was not registered`);
  return x;
}

function signal(field: number, seq: number): void {
  Atomics.store(ctrl, base + field, seq);
  Atomics.notify(ctrl, base + field);
}

function waitAtLeast(field: number, seq: number): void {
  for (;;) {
    const v = Atomics.load(ctrl, base + field);
    if (v >= seq) return;
    Atomics.wait(ctrl, base + field, v, 1000);
  }
}

function product(seq: number): void {
  const q = (i: number): number => params[pbase + i]!;
  const p: ProductArgs = {
    mode: WRITE_MODES[q(1)]!,
    c: arrayOf(q(2)),
    cOff: q(3),
    ldc: q(4),
    a: arrayOf(q(5)),
    aOff: q(6),
    lda: q(7),
    b: arrayOf(q(8)),
    bOff: q(9),
    ldb: q(10),
    bTrans: q(11) === 1,
    m: q(12),
    k: q(13),
    n: q(14),
  };
  const barrier = q(15) === 1;
  let bt;
  try {
    bt = uploadB(p);
  } finally {
    if (barrier) {
      signal(CTRL.packed, seq);
      waitAtLeast(CTRL.go, seq);
    }
  }
  try {
    productRows(p, bt, 0, p.m);
  } finally {
    bt.dispose();
  }
}

function serve(): void {
  let seen = 0;
  for (;;) {
    const cmd = Atomics.load(ctrl, base + CTRL.cmd);
    if (cmd === seen) {
      Atomics.wait(ctrl, base + CTRL.cmd, seen, 1000);
      continue;
    }
    seen = cmd;
    const op = params[pbase]!;
    try {
      drainRegistrations();
      if (op === OP.quit) {
        signal(CTRL.done, seen);
        return;
      } else if (op === OP.product) {
        product(seen);
      } else if (op === OP.syrk) {
        const q = (i: number): number => params[pbase + i]!;
        syrkRows(arrayOf(q(1)), q(2), q(3), q(4), q(5), q(6), q(7), q(8));
      } else if (op === OP.forget) {
        arrays.clear();
        releaseScratch();
      }
    } catch (err) {
      data.port.postMessage({ error: (err as Error).stack ?? String(err) });
      Atomics.store(ctrl, base + CTRL.failed, 1);
      signal(CTRL.packed, seen);
      signal(CTRL.done, seen);
      return;
    }
    signal(CTRL.done, seen);
  }
}

async function main(): Promise<void> {
  try {
    await selectBackend(data.backend as BackendRequest, { gemm: data.gemm as GemmRequest | undefined });
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message });
    return;
  }
  parentPort!.postMessage({ ready: true });
  serve();
  process.exit(0);
}

void main();
