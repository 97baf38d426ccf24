import { currentBackend, ensureBackend } from '@dass/tensor-backend';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockedTuning, choleskyLowerBlocked, invertLowerBlocked, multiplyF32, upperCholeskyOfInverseBlocked } from './linalg-blocked.js';
import { NotPositiveDefiniteError, choleskyLower, invertLower, upperCholeskyOfInverse } from './linalg.js';
import { seededRandom } from './test-support/seeded-random.js';
import { multiply, transposed } from './test-support/dense-reference.js';

/** Float32 unit roundoff. */
const U32 = 2 ** -24;

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

function maxAbsFromIdentity(p: Float64Array, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) e = Math.max(e, Math.abs(p[i * n + j] - (i === j ? 1 : 0)));
  return e;
}

/**
 * H = Q·diag(λ)·Qᵀ with λ log-spaced from 1 to κ (so cond₂(H) = κ exactly) and Q a product of 6 random Householder
 * reflections (orthogonal to float64 rounding).
 */
function spdWithCondition(n: number, kappa: number, seed: number): Float64Array {
  const normal = gaussian(seededRandom(seed));
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let r = 0; r < 6; r++) {
    const v = Float64Array.from({ length: n }, normal);
    const vv = v.reduce((s, x) => s + x * x, 0);
    // Q ← Q·(I − 2vvᵀ/vᵀv)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * v[k];
      const f = (2 * s) / vv;
      for (let k = 0; k < n; k++) q[i * n + k] -= f * v[k];
    }
  }
  const h = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const lambda = kappa ** (k / (n - 1));
    for (let i = 0; i < n; i++) {
      const x = lambda * q[i * n + k];
      for (let j = 0; j < n; j++) h[i * n + j] += x * q[j * n + k];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) h[j * n + i] = h[i * n + j];
  return h;
}

/** SparseGPT's H: 2·XᵀX/tokens of correlated activations (8 latent factors + noise, column scales e^u) + 1% damping. */
function dampedGram(n: number, tokens: number, seed: number): Float64Array {
  const normal = gaussian(seededRandom(seed));
  const loadings = Float64Array.from({ length: 8 * n }, normal);
  const scale = Float64Array.from({ length: n }, () => Math.exp(normal()));
  const h = new Float64Array(n * n);
  const x = new Float64Array(n);
  for (let t = 0; t < tokens; t++) {
    const f = Float64Array.from({ length: 8 }, normal);
    for (let j = 0; j < n; j++) {
      let v = 0.3 * normal();
      for (let k = 0; k < 8; k++) v += f[k] * loadings[k * n + j];
      x[j] = v * scale[j];
    }
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) h[i * n + j] += (2 * x[i] * x[j]) / tokens;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i * n + i] / n;
  for (let i = 0; i < n; i++) {
    h[i * n + i] += 0.01 * mean;
    for (let j = 0; j < i; j++) h[j * n + i] = h[i * n + j];
  }
  return h;
}

describe('blocked linear algebra without a backend', () => {
  it('names the missing backend (before any test activates one)', () => {
    if (currentBackend()) return; // another file in this worker already activated one
    expect(() => upperCholeskyOfInverseBlocked(spdWithCondition(300, 10, 1), 300)).toThrow(
      'upperCholeskyOfInverseBlocked: needs an active tfjs backend for its float32 products; await ensureBackend() first',
    );
  });
});

describe('blocked linear algebra on tfjs (float32 products, float64 diagonal blocks)', () => {
  const saved = { ...blockedTuning };
  beforeAll(async () => {
    await ensureBackend();
  });
  afterEach(() => Object.assign(blockedTuning, saved));

  it('multiplyF32: every write mode and a transposed operand, against float64 (hand-checkable 2×3·3×2)', () => {
    // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]] ⇒ A·B = [[4,5],[10,11]].
    const a = Float64Array.of(1, 2, 3, 4, 5, 6);
    const b = Float64Array.of(1, 0, 0, 1, 1, 1);
    const bt = Float64Array.of(1, 0, 1, 0, 1, 1); // Bᵀ stored by rows
    const c = Float64Array.of(1, 1, 1, 1);
    multiplyF32(c, 0, 2, 'set', a, 0, 3, b, 0, 2, false, 2, 3, 2);
    expect(Array.from(c)).toEqual([4, 5, 10, 11]);
    multiplyF32(c, 0, 2, 'sub', a, 0, 3, bt, 0, 3, true, 2, 3, 2);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    multiplyF32(c, 0, 2, 'neg', a, 0, 3, b, 0, 2, false, 2, 3, 2);
    multiplyF32(c, 0, 2, 'add', a, 0, 3, b, 0, 2, false, 2, 3, 2);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
  });

  // Leaves of 16 and triangular products of 32: orders up to 300 run 4–5 levels of recursion, odd splits included.
  it.each([17, 48, 129, 300])('Cholesky: ‖L·Lᵀ − H‖ ≤ n·u₃₂·‖H‖ and L matches the float64 factor (n = %i, leaf 16)', (n) => {
    Object.assign(blockedTuning, { leaf: 16, trmmLeaf: 32 });
    const h = spdWithCondition(n, 100, n);
    const l = choleskyLowerBlocked(h, n);
    for (let i = 0; i < n; i++) {
      expect(l[i * n + i]).toBeGreaterThan(0);
      for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    }
    // Backward error of a Cholesky with float32 updates: O(n·u) relative to ‖H‖ (Higham, ASNA §10.1).
    expect(maxAbsDiff(multiply(l, transposed(l, n), n), h)).toBeLessThan(n * U32 * maxAbs(h));
    // Forward error vs the float64 factor: O(cond·n·u), cond = 100.
    expect(maxAbsDiff(l, choleskyLower(h, n)) / maxAbs(l)).toBeLessThan(100 * n * U32);
  });

  it.each([17, 129, 300])('triangular inverse: ‖L·X − I‖ small and X matches the float64 inverse (n = %i, leaf 16)', (n) => {
    Object.assign(blockedTuning, { leaf: 16, trmmLeaf: 32 });
    const l = choleskyLower(spdWithCondition(n, 100, 50 + n), n);
    const x = invertLowerBlocked(l, n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(x[i * n + j]).toBe(0);
    // cond(L) = √100 = 10.
    expect(maxAbsFromIdentity(multiply(l, x, n), n)).toBeLessThan(10 * n * U32);
    expect(maxAbsDiff(x, invertLower(l, n)) / maxAbs(x)).toBeLessThan(10 * n * U32);
  });

  it.each([
    [300, 1e2],
    [300, 1e4],
    [400, 1e3],
  ])('upper Cholesky of H⁻¹: ‖H·UᵀU − I‖ ≤ cond·n·u₃₂ (n = %i, cond = %d)', (n, kappa) => {
    Object.assign(blockedTuning, { leaf: 32, trmmLeaf: 64 });
    const h = spdWithCondition(n, kappa, 7 * n + kappa);
    const u = upperCholeskyOfInverseBlocked(h, n);
    for (let i = 0; i < n; i++) {
      expect(u[i * n + i]).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
    }
    const inv = multiply(transposed(u, n), u, n);
    const residual = maxAbsFromIdentity(multiply(h, inv, n), n);
    expect(residual).toBeLessThan(kappa * n * U32);
    // The float64 path's residual is ~1e9 times smaller: the bound above is not met by accident.
    expect(
      maxAbsFromIdentity(
        multiply(
          h,
          (() => {
            const v = upperCholeskyOfInverse(h, n);
            return multiply(transposed(v, n), v, n);
          })(),
          n,
        ),
        n,
      ),
    ).toBeLessThan(kappa * n * 1e-15);
  });

  it('upper Cholesky of a damped activation Gram (SparseGPT’s H, n = 640, default leaves): close to the float64 factor', () => {
    const n = 640;
    const h = dampedGram(n, 512, 3);
    const u = upperCholeskyOfInverseBlocked(h, n);
    const u64 = upperCholeskyOfInverse(h, n);
    // SparseGPT reads U's diagonal (saliency) and rows (updates). Measured: 1.2e-4 worst relative on the diagonal
    // (this H has cond ~1e4: float32 gives ~cond·u₃₂); the bound leaves 8x room, a wrong update would be O(1).
    let worstDiag = 0;
    for (let i = 0; i < n; i++) worstDiag = Math.max(worstDiag, Math.abs(u[i * n + i] / u64[i * n + i] - 1));
    expect(worstDiag).toBeLessThan(1e-3);
    expect(maxAbsDiff(u, u64) / maxAbs(u64)).toBeLessThan(1e-3);
    const residual = maxAbsFromIdentity(multiply(h, multiply(transposed(u, n), u, n), n), n);
    expect(residual).toBeLessThan(1e-2);
  });

  it('a non-positive pivot is reported in the caller’s numbering, as the float64 path does', () => {
    Object.assign(blockedTuning, { leaf: 16, trmmLeaf: 32 });
    const n = 100;
    const h = spdWithCondition(n, 10, 9);
    // Make H indefinite in the span of e₄₀: H₄₀,₄₀ far below what the other entries need.
    h[40 * n + 40] = -5;
    let blocked: unknown;
    let reference: unknown;
    try {
      upperCholeskyOfInverseBlocked(h, n);
    } catch (err) {
      blocked = err;
    }
    try {
      upperCholeskyOfInverse(h, n);
    } catch (err) {
      reference = err;
    }
    expect(blocked).toBeInstanceOf(NotPositiveDefiniteError);
    expect(reference).toBeInstanceOf(NotPositiveDefiniteError);
    expect((blocked as NotPositiveDefiniteError).pivot).toBe((reference as NotPositiveDefiniteError).pivot);
    expect((blocked as NotPositiveDefiniteError).message).toMatch(/^a: the 100×100 matrix is not positive definite: Cholesky pivot \d+ is -/);
    expect(() => choleskyLowerBlocked(h, n)).toThrow(NotPositiveDefiniteError);
  });

  it('rejects bad input by name, as the float64 functions', () => {
    expect(() => choleskyLowerBlocked(new Float64Array(6), 2)).toThrow('a: expected a square 2×2 matrix (4 entries), got 6 entries');
    expect(() => upperCholeskyOfInverseBlocked(Float64Array.of(1, NaN, NaN, 1), 2)).toThrow('a: entry (0, 1) is NaN');
    expect(() => invertLowerBlocked(Float64Array.of(1, 0, 3, 0), 2)).toThrow('l: diagonal entry 1 is 0');
    expect(() => upperCholeskyOfInverseBlocked(Float64Array.of(1), 1, { minPivotRatio: -1 })).toThrow('minPivotRatio: expected a number in [0, 1), got -1');
  });
});
