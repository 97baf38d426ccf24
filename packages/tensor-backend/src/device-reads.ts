import * as tf from '@tensorflow/tfjs-core';

/** A running count of tensor reads back to the host, from `countDeviceReads`. */
export interface DeviceReadCounter {
  /** Reads so far: every `dataSync`/`data`/`arraySync`/`array`/`bufferSync`/`buffer` of any tensor. */
  readonly count: number;
  /** Elements those reads covered. */
  readonly elements: number;
  /** Restores tfjs's read path. */
  stop(): void;
}

/**
 * Counts device→host reads by wrapping tfjs's engine read path (`Engine.read` and `Engine.readSync`, which every
 * Tensor read — `data`, `dataSync`, `array`, `arraySync`, `buffer`, `bufferSync` — goes through, and which then call
 * the backend's `read`/`readSync`). For tests and diagnostics; `stop()` unwraps. Counters do not nest.
 */
export function countDeviceReads(): DeviceReadCounter {
  const engine = tf.engine() as unknown as {
    read(dataId: object): Promise<unknown>;
    readSync(dataId: object): unknown;
    state: { tensorInfo: WeakMap<object, { shape: number[] }> };
  };
  const read = engine.read;
  const readSync = engine.readSync;
  const counter = { count: 0, elements: 0 };
  const size = (dataId: object) => {
    const info = engine.state.tensorInfo.get(dataId);
    return info ? info.shape.reduce((a, b) => a * b, 1) : 0;
  };
  engine.read = function (this: unknown, dataId: object) {
    counter.count++;
    counter.elements += size(dataId);
    return read.call(this, dataId);
  };
  engine.readSync = function (this: unknown, dataId: object) {
    counter.count++;
    counter.elements += size(dataId);
    return readSync.call(this, dataId);
  };
  return {
    get count() {
      return counter.count;
    },
    get elements() {
      return counter.elements;
    },
    stop() {
      engine.read = read;
      engine.readSync = readSync;
    },
  };
}
