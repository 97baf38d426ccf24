import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeGemm, enableNativeGemm, nativeGemm, nativeGemmLoadError, nativeGemmStatus, selectBackend, tf, wasmReleasePackedWeight } from './index.js';
import { values } from './test-support/lcg-values.js';

/** op(A)·op(B) in float64 from the definition C[i][j] = Σ_p op(A)[i][p]·op(B)[p][j]. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i]! : a[i * k + p]!) * (transB ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  return c;
}

/** Largest |x − y| relative to the scale Σ|a||b| a float32 dot product of length k can be trusted to (k·2⁻²⁴ each). */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!));
  return e;
}

const loadError = nativeGemmLoadError();
const SKIP = loadError !== undefined;
// Stated reason when skipped: onnxruntime-node (an optional peer dependency) is not installed or does not load here.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 9],
  [64, 129, 65],
  [130, 67, 255],
];

describe.skipIf(SKIP)(`native GEMM (onnxruntime-node)${SKIP ? ` — skipped: ${loadError}` : ''}`, () => {
  it('matmul agrees with the float64 definition for every transA/transB and odd sizes', () => {
    const g = nativeGemm()!;
    expect(g.engine).toMatch(/^onnxruntime-node 1\.30\.0/);
    for (const [m, k, n] of SHAPES)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const a = values(m * k, m + 7 * k);
          const b = values(k * n, n + 11 * k);
          const c = g.matmul(a, b, m, k, n, { transA, transB });
          expect(c.length).toBe(m * n);
          // Values in [-1, 1): each entry is a length-k float32 dot product, accurate to ~k·2⁻²⁴ absolute.
          expect(maxError(c, reference(a, b, m, k, n, transA, transB))).toBeLessThanOrEqual(k * 2 ** -22);
        }
  });

  it('writes into a given output view in place and leaves its neighbours alone', () => {
    const [m, k, n] = [9, 13, 6];
    const a = values(m * k, 1);
    const b = values(k * n, 2);
    const buffer = new Float32Array(m * n + 8).fill(42);
    const out = buffer.subarray(4, 4 + m * n);
    expect(nativeGemm()!.matmul(a, b, m, k, n, { out })).toBe(out);
    expect(maxError(out, reference(a, b, m, k, n, false, false))).toBeLessThanOrEqual(k * 2 ** -22);
    expect([...buffer.subarray(0, 4), ...buffer.subarray(4 + m * n)]).toEqual(new Array(8).fill(42));
  });

  it('rejects arrays shorter than their shape and non-positive dimensions', () => {
    const g = nativeGemm()!;
    expect(() => g.matmul(new Float32Array(5), new Float32Array(6), 2, 3, 2)).toThrow(/a: holds 5 floats, expected 2 × 3/);
    expect(() => g.matmul(new Float32Array(6), new Float32Array(6), 2, 3, 2, { out: new Float32Array(3) })).toThrow(/out: holds 3 floats/);
    expect(() => g.matmul(new Float32Array(6), new Float32Array(6), 0, 3, 2)).toThrow(/m: expected a positive integer/);
    expect(() => nativeGemm({ threads: 0 })).toThrow(/threads: expected a positive integer/);
  });
});

describe.skipIf(SKIP)('native GEMM as the wasm backend matmul kernels', () => {
  let before: string;
  beforeAll(async () => {
    before = tf.getBackend();
    await selectBackend('wasm', { gemm: 'wasm' });
  });
  afterEach(() => disableNativeGemm());
  afterAll(async () => {
    disableNativeGemm();
    if (before && before !== 'wasm') await tf.setBackend(before);
  });

  /** tf.matMul's values for every (transA, transB) on the given shapes, in the current kernel configuration. */
  function products(): Float32Array[] {
    const out: Float32Array[] = [];
    for (const [m, k, n] of SHAPES)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const a = tf.tensor2d(values(m * k, m + k), transA ? [k, m] : [m, k]);
          const b = tf.tensor2d(values(k * n, n + k), transB ? [n, k] : [k, n]);
          const c = tf.matMul(a, b, transA, transB);
          out.push(c.dataSync() as Float32Array);
          tf.dispose([a, b, c]);
        }
    return out;
  }

  it('tf.matMul gives the XNNPACK results to float32 rounding, and disabling restores the original kernels', () => {
    const originalBatch = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    const originalFused = tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc;
    const wasm = products();
    const status = enableNativeGemm({ threads: 1, minMacs: 0 });
    expect(status).toMatchObject({ active: true, threads: 1, minMacs: 0 });
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).not.toBe(originalBatch);
    const native = products();
    expect(nativeGemmStatus().calls).toEqual({ native: wasm.length, wasm: 0 });
    wasm.forEach((w, i) => {
      const k = Math.max(...SHAPES.map((s) => s[1]));
      expect(maxError(native[i]!, w)).toBeLessThanOrEqual(k * 2 ** -21);
    });
    disableNativeGemm();
    expect(nativeGemmStatus()).toEqual({ active: false, reason: 'disabled' });
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(originalBatch);
    expect(tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc).toBe(originalFused);
    // Back on XNNPACK: bit-identical to the first run.
    expect(products()).toEqual(wasm);
  });

  it('leaves small, batched, biased and released-weight products to XNNPACK, with the same results', () => {
    enableNativeGemm({ minMacs: 100 });
    const small = tf.matMul(tf.tensor2d(values(4, 1), [2, 2]), tf.tensor2d(values(4, 2), [2, 2]));
    expect(nativeGemmStatus().calls).toEqual({ native: 0, wasm: 1 });
    const batched = tf.matMul(tf.tensor3d(values(2 * 16 * 16, 3), [2, 16, 16]), tf.tensor3d(values(2 * 16 * 16, 4), [2, 16, 16]));
    expect(batched.shape).toEqual([2, 16, 16]);
    expect(nativeGemmStatus().calls).toEqual({ native: 0, wasm: 2 });
    // Rank 3 with batch 1 goes native, output shape [1, m, n] as tfjs's kernel gives.
    const single = tf.matMul(tf.tensor3d(values(16 * 16, 5), [1, 16, 16]), tf.tensor3d(values(16 * 16, 6), [1, 16, 16]));
    expect(single.shape).toEqual([1, 16, 16]);
    expect(nativeGemmStatus().calls).toEqual({ native: 1, wasm: 2 });
    // Fused with bias and relu: delegated; without: native.
    const x = tf.tensor2d(values(16 * 32, 7), [16, 32]);
    const w = tf.tensor2d(values(32 * 16, 8), [32, 16]);
    const bias = tf.tensor1d(values(16, 9));
    const fused = tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' });
    expect(nativeGemmStatus().calls).toEqual({ native: 1, wasm: 3 });
    const plain = tf.fused.matMul({ a: x, b: w });
    expect(nativeGemmStatus().calls).toEqual({ native: 2, wasm: 3 });
    disableNativeGemm();
    expect(maxError(fused.dataSync(), tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }).dataSync())).toBeLessThan(1e-5);
    expect(maxError(plain.dataSync(), tf.matMul(x, w).dataSync())).toBeLessThan(1e-5);
    tf.dispose([small, batched, single, x, w, bias, fused, plain]);
  });

  it('picks the engine by k·n alone: a product split by rows (as threads split samples) gives the very same bits', () => {
    enableNativeGemm({ threads: 1 });
    // k·n = 64 × 172 (stories260K's gate/up) is above the default threshold; m·k·n of the 3-row half is far below the
    // former m·k·n one, which sent the halves to XNNPACK and the whole to MLAS.
    const a = tf.tensor2d(values(6 * 64, 11), [6, 64]);
    const w = tf.tensor2d(values(172 * 64, 12), [172, 64]);
    const whole = tf.matMul(a, w, false, true).dataSync();
    const halves = [tf.slice(a, [0, 0], [3, 64]), tf.slice(a, [3, 0], [3, 64])].map((h) => tf.matMul(h, w, false, true).dataSync());
    expect(nativeGemmStatus().calls!.native).toBe(3);
    const joined = new Float32Array(whole.length);
    joined.set(halves[0]!, 0);
    joined.set(halves[1]!, halves[0]!.length);
    expect(Buffer.from(joined.buffer).equals(Buffer.from((whole as Float32Array).slice().buffer))).toBe(true);
    tf.dispose([a, w]);
  });

  it('keeps weights while enabled; a weight released before stays on XNNPACK', () => {
    const x = tf.tensor2d(values(32 * 64, 1), [32, 64]);
    const released = tf.tensor2d(values(64 * 48, 2), [64, 48]);
    const want = tf.matMul(x, released); // XNNPACK packs it
    expect(wasmReleasePackedWeight(released)).toBe(true);
    enableNativeGemm({ minMacs: 0 });
    const again = tf.matMul(x, released);
    expect(nativeGemmStatus().calls).toEqual({ native: 0, wasm: 1 });
    expect(again.dataSync()).toEqual(want.dataSync());
    const kept = tf.tensor2d(values(64 * 48, 2), [64, 48]);
    const first = tf.matMul(x, kept);
    expect(wasmReleasePackedWeight(kept)).toBe(false);
    const second = tf.matMul(x, kept);
    expect(second.dataSync()).toEqual(first.dataSync());
    expect(maxError(second.dataSync(), want.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, released, want, again, kept, first, second]);
  });
});

describe('native GEMM when onnxruntime-node cannot load', () => {
  it.skipIf(!SKIP)('enableNativeGemm falls back silently, and throws when required', () => {
    expect(nativeGemm()).toBeNull();
    expect(enableNativeGemm()).toMatchObject({ active: false });
    expect(() => enableNativeGemm({ required: true })).toThrow(/gemm native is not available/);
  });
});
