// Thread-count independence of the blocked linear algebra and of SparseGPT's tfjs path: with a LinalgPool every row
// of every product is computed by one thread with the same code, so 1 vs 2 threads may differ only by float
// summation order (in practice the same wasm kernel gives identical rows). Needs `pnpm build` (the worker script).
import { ensureBackend } from '@dass/tensor-backend';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockedTuning, multiplyF32, upperCholeskyOfInverseBlocked } from './linalg-blocked.js';
import { gemmTuning } from './gemm-core.js';
import { LinalgPool, activeLinalgPool, poolTuning, sharedFloat32Array, sharedFloat64Array, withLinalgPool } from './linalg-pool.js';
import { runSparseGPT } from './sparsegpt.js';
import { seededRandom } from './test-support/seeded-random.js';

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** XᵀX of `tokens` random correlated rows (8 latent factors + noise, per-column scales): a Gram like real activations. */
function gram(n: number, tokens: number, seed: number): Float64Array {
  const normal = gaussian(seededRandom(seed));
  const f = 8;
  const load = Float64Array.from({ length: f * n }, normal);
  const scale = Float64Array.from({ length: n }, () => Math.exp(0.5 * normal()));
  const x = new Float64Array(tokens * n);
  for (let t = 0; t < tokens; t++) {
    const z = Float64Array.from({ length: f }, normal);
    for (let j = 0; j < n; j++) {
      let s = 0.5 * normal();
      for (let q = 0; q < f; q++) s += z[q] * load[q * n + j];
      x[t * n + j] = s * scale[j];
    }
  }
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < tokens; t++) s += x[t * n + i] * x[t * n + j];
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}

/** m×n = (m×k)·(k×n), float64, row-major. */
function multiply(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let q = 0; q < k; q++) {
      const x = a[i * k + q];
      for (let j = 0; j < n; j++) c[i * n + j] += x * b[q * n + j];
    }
  return c;
}

/** Fills in place (TypedArray.map would return an array outside shared memory). */
function filled(x: Float64Array, f: () => number): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = f();
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe('LinalgPool', () => {
  const saved = { ...blockedTuning };
  const savedPool = { ...poolTuning };
  const savedGemm = { ...gemmTuning };
  beforeAll(async () => {
    await ensureBackend();
  });
  afterEach(() => {
    Object.assign(blockedTuning, saved);
    Object.assign(poolTuning, savedPool);
    Object.assign(gemmTuning, savedGemm);
  });

  it('splits a product by rows and gives the float64 reference product to float32 accuracy, in place and with a shared B', async () => {
    const rand = gaussian(seededRandom(7));
    const [m, k, n] = [300, 200, 260];
    const a = sharedFloat64Array(0); // no pool yet: a plain array
    expect(a.buffer instanceof SharedArrayBuffer).toBe(false);
    await withLinalgPool(2, () => {
      expect(activeLinalgPool()?.threads).toBe(2);
      const A = filled(sharedFloat64Array(m * k), rand);
      const B = filled(sharedFloat64Array(k * n), rand);
      const C = filled(sharedFloat64Array(m * n), rand);
      const expected = multiply(A, B, m, k, n).map((p, i) => C[i] - p);
      multiplyF32(C, 0, n, 'sub', A, 0, k, B, 0, n, false, m, k, n);
      expect(maxAbsDiff(C, expected)).toBeLessThan(1e-4 * maxAbs(expected));
      // C = −X·C in place (C is also B: every thread must read B before any thread writes): the trmmLeft leaf case.
      const X = filled(sharedFloat64Array(m * m), rand);
      const before = C.slice();
      const want = multiply(X, before, m, m, n).map((p) => -p);
      multiplyF32(C, 0, n, 'neg', X, 0, m, C, 0, n, false, m, m, n);
      expect(maxAbsDiff(C, want)).toBeLessThan(1e-4 * maxAbs(want));
      expect(activeLinalgPool()!.splitProducts).toBe(2);
    });
    expect(activeLinalgPool()).toBeUndefined();
  });

  it('the blocked upper Cholesky factor of H⁻¹ does not depend on the thread count', async () => {
    // Small recursion cut-offs so a 640-order matrix goes through TRSM, SYRK and TRMM products big enough to split.
    Object.assign(blockedTuning, { leaf: 64, trmmLeaf: 64 });
    Object.assign(poolTuning, { minFlops: 1e5 });
    Object.assign(gemmTuning, { syrkRows: 64 });
    const n = 640;
    const g = gram(n, 2 * n, 11);
    for (let i = 0; i < n; i++) g[i * n + i] += 1e-3 * g[i * n + i];
    const one = upperCholeskyOfInverseBlocked(g, n);
    let split = 0;
    const two = await withLinalgPool(2, () => {
      const u = upperCholeskyOfInverseBlocked(g, n);
      split = activeLinalgPool()!.splitProducts;
      return u;
    });
    expect(split).toBeGreaterThan(5);
    expect(two.buffer instanceof SharedArrayBuffer).toBe(true);
    // Same rows by the same kernel: equal up to float32 summation order (observed: identical).
    expect(maxAbsDiff(one, two)).toBeLessThanOrEqual(1e-5 * maxAbs(one));
  });

  it('SparseGPT 2:4 on the tfjs path: same masks and weights with 1 and 2 threads', async () => {
    Object.assign(poolTuning, { minFlops: 1e5 });
    Object.assign(gemmTuning, { syrkRows: 64 });
    Object.assign(blockedTuning, { leaf: 64, trmmLeaf: 64 });
    const rows = 256;
    const cols = 512;
    const g = gram(cols, 1024, 5);
    const rand = gaussian(seededRandom(9));
    const weight = Float32Array.from({ length: rows * cols }, rand);
    const run = () => runSparseGPT({ weight, shape: [rows, cols], gram: g, tokens: 1024, pattern: { kind: 'nm', n: 2, m: 4 }, matmul: 'tfjs' });
    const one = run();
    let split = 0;
    const two = await withLinalgPool(2, () => {
      const r = run();
      split = activeLinalgPool()!.splitProducts;
      return r;
    });
    expect(split).toBeGreaterThan(5);
    let differ = 0;
    for (let p = 0; p < one.mask.length; p++) differ += one.mask[p] !== two.mask[p] ? 1 : 0;
    expect(differ).toBe(0);
    expect(maxAbsDiff(one.weight, two.weight)).toBeLessThanOrEqual(1e-5 * maxAbs(one.weight));
    expect(Math.abs(one.error - two.error)).toBeLessThanOrEqual(1e-6 * one.error);
  });

  it('leaves arrays outside shared memory and small products to the main thread, and refuses bad thread counts', async () => {
    await expect(withLinalgPool(0, () => 1)).rejects.toThrow(/threads: expected a positive integer, got 0/);
    await expect(LinalgPool.create(1)).rejects.toThrow(/needs an integer >= 2, got 1/);
    await withLinalgPool(2, () => {
      const pool = activeLinalgPool()!;
      const plain = new Float64Array(64 * 64).fill(1);
      expect(pool.canShare(plain)).toBe(false);
      const shared = sharedFloat32Array(64 * 64).fill(1);
      expect(pool.canShare(shared)).toBe(true);
      // 2·64³ flops: below the hand-off threshold, computed here.
      expect(
        pool.tryProduct({
          c: shared,
          cOff: 0,
          ldc: 64,
          mode: 'set',
          a: shared,
          aOff: 0,
          lda: 64,
          b: plain,
          bOff: 0,
          ldb: 64,
          bTrans: false,
          m: 64,
          k: 64,
          n: 64,
        }),
      ).toBe(false);
    });
  });
});
