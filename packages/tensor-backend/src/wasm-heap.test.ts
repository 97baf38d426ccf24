import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf, wasmHeapView, wasmReleasePackedWeight, wasmTensorFilled } from './index.js';
import { values } from './test-support/lcg-values.js';

// On XNNPACK (`gemm: 'wasm'`): with the native GEMM active, weights are kept (native-gemm.test.ts covers that).
describe('wasm heap access', () => {
  let before: string;
  beforeAll(async () => {
    before = tf.getBackend();
    await selectBackend('wasm', { gemm: 'wasm' });
  });
  afterAll(async () => {
    if (before && before !== 'wasm') await tf.setBackend(before);
  });

  it('wasmHeapView reads the same values as dataSync, without a copy', () => {
    const t = tf.tensor2d(values(12, 1), [3, 4]);
    const view = wasmHeapView(t)!;
    expect(view).toBeInstanceOf(Float32Array);
    expect(Array.from(view)).toEqual(Array.from(t.dataSync()));
    t.dispose();
  });

  it('wasmTensorFilled writes a tensor in place: its values read back as written', () => {
    const want = values(20, 2);
    const t = wasmTensorFilled<tf.Rank.R2>([4, 5], (v) => v.set(want))!;
    expect(t.shape).toEqual([4, 5]);
    expect(Array.from(t.dataSync())).toEqual(Array.from(want));
    // It behaves as any tensor in ops and in memory accounting.
    const before = tf.memory().numTensors;
    const doubled = tf.mul(t, 2);
    expect(Array.from(doubled.dataSync())).toEqual(Array.from(want).map((x) => Math.fround(x * 2)));
    doubled.dispose();
    t.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('a weight released after its first matmul gives bit-identical products afterwards, and disposes cleanly', () => {
    const [m, k, n] = [7, 33, 19];
    const w = tf.tensor2d(values(k * n, 3), [k, n]);
    const x1 = tf.tensor2d(values(m * k, 4), [m, k]);
    const x2 = tf.tensor2d(values(m * k, 5), [m, k]);
    // References computed with a separate, never-released copy of the weight.
    const wRef = tf.tensor2d(values(k * n, 3), [k, n]);
    const ref1 = tf.matMul(x1, wRef).dataSync().slice();
    const ref2 = tf.matMul(x2, wRef).dataSync().slice();
    const first = tf.matMul(x1, w).dataSync().slice();
    expect(wasmReleasePackedWeight(w)).toBe(true);
    // Fill the freed memory with other data: a product that still read w's own copy would change.
    const filler = tf.fill([k, n], 1234.5);
    const second = tf.matMul(x2, w).dataSync().slice();
    const again = tf.matMul(x1, w).dataSync().slice();
    expect(Array.from(first)).toEqual(Array.from(ref1));
    expect(Array.from(second)).toEqual(Array.from(ref2));
    expect(Array.from(again)).toEqual(Array.from(ref1));
    const tensors = tf.memory().numTensors;
    w.dispose();
    expect(tf.memory().numTensors).toBe(tensors - 1);
    tf.dispose([x1, x2, wRef, filler]);
  });
});
