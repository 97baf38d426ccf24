import { describe, expect, it } from 'vitest';
import {
  NotPositiveDefiniteError,
  choleskyInverse,
  choleskyLower,
  invertLower,
  solveLower,
  solveLowerTransposed,
  solveUpper,
  upperCholeskyOfInverse,
} from './linalg.js';
import { seededRandom } from './test-support/seeded-random.js';
import { multiply, transposed } from './test-support/dense-reference.js';

/** H = AᵀA/k + ridge·I with A k×n uniform in [−0.5, 0.5): symmetric positive definite. */
function randomSpd(n: number, k: number, seed: number, ridge = 0.1): Float64Array {
  const rand = seededRandom(seed);
  const a = new Float64Array(k * n);
  for (let p = 0; p < a.length; p++) a[p] = rand() - 0.5;
  const h = new Float64Array(n * n);
  for (let t = 0; t < k; t++) {
    for (let i = 0; i < n; i++) {
      const x = a[t * n + i] / k;
      for (let j = 0; j < n; j++) h[i * n + j] += x * a[t * n + j];
    }
  }
  for (let i = 0; i < n; i++) h[i * n + i] += ridge;
  return h;
}

/** Nonzero entries strictly above the diagonal. */
function countAbove(a: Float64Array, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (a[i * n + j] !== 0) c++;
  return c;
}

function maxAbsFromIdentity(p: Float64Array, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) e = Math.max(e, Math.abs(p[i * n + j] - (i === j ? 1 : 0)));
  return e;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

// Wikipedia's Cholesky example: A = L·Lᵀ with L = [[2,0,0],[6,1,0],[−8,5,3]]; L⁻¹ = [[1/2,0,0],[−3,1,0],[19/3,−5/3,1/3]],
// A⁻¹ = L⁻ᵀL⁻¹ = [[1777/36, −122/9, 19/9], [−122/9, 34/9, −5/9], [19/9, −5/9, 1/9]] (worked by hand).
const A3 = Float64Array.of(4, 12, -16, 12, 37, -43, -16, -43, 98);
const L3 = [2, 0, 0, 6, 1, 0, -8, 5, 3];
const L3_INV = [1 / 2, 0, 0, -3, 1, 0, 19 / 3, -5 / 3, 1 / 3];
const A3_INV = [1777 / 36, -122 / 9, 19 / 9, -122 / 9, 34 / 9, -5 / 9, 19 / 9, -5 / 9, 1 / 9];

describe('choleskyLower', () => {
  it('factors the hand-worked 3×3 exactly', () => {
    expect(Array.from(choleskyLower(A3, 3))).toEqual(L3);
  });

  it('reads only the lower triangle', () => {
    const garbageAbove = Float64Array.from(A3);
    garbageAbove[1] = 1e9;
    garbageAbove[2] = Number.MAX_VALUE;
    garbageAbove[5] = -7;
    expect(Array.from(choleskyLower(garbageAbove, 3))).toEqual(L3);
  });

  it.each([1, 2, 63, 64, 65, 130, 200])('reproduces A = L·Lᵀ across panel/tile boundaries (n = %i)', (n) => {
    const h = randomSpd(n, n + 5, n);
    const l = choleskyLower(h, n);
    expect(countAbove(l, n)).toBe(0);
    for (let i = 0; i < n; i++) expect(l[i * n + i]).toBeGreaterThan(0);
    expect(maxAbsDiff(multiply(l, transposed(l, n), n), h)).toBeLessThan(1e-13);
  });

  it('names the failing pivot and its value', () => {
    // [[1, 2], [2, 1]]: second pivot 1 − 2²/1 = −3.
    const run = () => choleskyLower(Float64Array.of(1, 2, 2, 1), 2);
    expect(run).toThrow(NotPositiveDefiniteError);
    expect(run).toThrow('a: the 2×2 matrix is not positive definite: Cholesky pivot 1 is -3 after elimination');
    try {
      run();
    } catch (err) {
      expect(err).toMatchObject({ pivot: 1, value: -3, order: 2 });
    }
    expect(() => choleskyLower(Float64Array.of(0, 0, 0, 1), 2)).toThrow('Cholesky pivot 0 is 0');
  });

  it('rejects non-square, non-finite and mistyped input by name', () => {
    expect(() => choleskyLower(new Float64Array(6), 2)).toThrow('a: expected a square 2×2 matrix (4 entries), got 6 entries (3×2: not square)');
    expect(() => choleskyLower(new Float64Array(5), 2)).toThrow('a: expected a square 2×2 matrix (4 entries), got 5 entries');
    expect(() => choleskyLower(Float64Array.of(1, 0, NaN, 1), 2)).toThrow('a: entry (1, 0) is NaN');
    expect(() => choleskyLower(Float64Array.of(1), 0)).toThrow('n: expected a positive integer order, got 0');
    expect(() => choleskyLower(Float64Array.of(1), 1.5)).toThrow('n: expected a positive integer order, got 1.5');
    expect(() => choleskyLower(Float32Array.of(1) as unknown as Float64Array, 1)).toThrow('a: expected a Float64Array, got Float32Array');
  });
});

describe('invertLower', () => {
  it('inverts the hand-worked factor', () => {
    expect(maxAbsDiff(invertLower(Float64Array.from(L3), 3), L3_INV)).toBeLessThan(1e-15);
  });

  it.each([5, 64, 129, 300])('gives L·L⁻¹ = I (n = %i)', (n) => {
    const l = choleskyLower(randomSpd(n, n + 5, 100 + n), n);
    const x = invertLower(l, n);
    expect(countAbove(x, n)).toBe(0);
    expect(maxAbsFromIdentity(multiply(l, x, n), n)).toBeLessThan(1e-12);
  });

  it('rejects a zero diagonal', () => {
    expect(() => invertLower(Float64Array.of(1, 0, 3, 0), 2)).toThrow('l: diagonal entry 1 is 0');
  });
});

describe('choleskyInverse', () => {
  it('inverts the hand-worked 3×3', () => {
    expect(maxAbsDiff(choleskyInverse(A3, 3), A3_INV)).toBeLessThan(1e-12);
  });

  it('has ‖H·H⁻¹ − I‖max < 1e-6 for a random SPD matrix of order 768', () => {
    const n = 768;
    const h = randomSpd(n, 256, 7, 0.05);
    const inv = choleskyInverse(h, n);
    expect(maxAbsDiff(inv, transposed(inv, n))).toBe(0);
    expect(maxAbsFromIdentity(multiply(h, inv, n), n)).toBeLessThan(1e-6);
  });
});

describe('upperCholeskyOfInverse', () => {
  it('returns V⁻¹ for A = V·Vᵀ (hand-worked)', () => {
    // V = [[2,1,−1],[0,1,2],[0,0,1]] ⇒ A = V·Vᵀ = [[6,−1,−1],[−1,5,2],[−1,2,1]], A⁻¹ = (V⁻¹)ᵀV⁻¹ and
    // V⁻¹ = [[1/2, −1/2, 3/2], [0, 1, −2], [0, 0, 1]] is upper with a positive diagonal: the factor itself.
    const a = Float64Array.of(6, -1, -1, -1, 5, 2, -1, 2, 1);
    expect(maxAbsDiff(upperCholeskyOfInverse(a, 3), [1 / 2, -1 / 2, 3 / 2, 0, 1, -2, 0, 0, 1])).toBeLessThan(1e-15);
  });

  it.each([1, 3, 64, 65, 200])('matches the upper Cholesky factor of choleskyInverse (n = %i)', (n) => {
    const h = randomSpd(n, 2 * n + 1, 300 + n);
    const u = upperCholeskyOfInverse(h, n);
    // The reference route: upper factor of H⁻¹ = transpose of the lower factor of H⁻¹.
    const viaInverse = transposed(choleskyLower(choleskyInverse(h, n), n), n);
    let scale = 0;
    for (const v of viaInverse) scale = Math.max(scale, Math.abs(v));
    expect(maxAbsDiff(u, viaInverse) / scale).toBeLessThan(1e-10);
    expect(countAbove(transposed(u, n), n)).toBe(0);
  });

  it('reports the failing pivot in the caller’s numbering', () => {
    // Eliminating from the last index: pivot 1 is 1, then pivot 0 is 1 − 2² = −3.
    expect(() => upperCholeskyOfInverse(Float64Array.of(1, 2, 2, 1), 2)).toThrow('Cholesky pivot 0 is -3');
    expect(() => upperCholeskyOfInverse(Float64Array.of(1, 0, 0, -2), 2)).toThrow('Cholesky pivot 1 is -2');
  });
});

describe('triangular solves', () => {
  const l = Float64Array.from(L3);
  it('solves L·x = b, Lᵀ·x = b and U·x = b (hand-worked)', () => {
    // L·[1, 2, 3] = [2, 8, 11]; Lᵀ·[1, 2, 3] = [2 + 12 − 24, 2 + 15, 9] = [−10, 17, 9].
    expect(Array.from(solveLower(l, 3, Float64Array.of(2, 8, 11)))).toEqual([1, 2, 3]);
    expect(maxAbsDiff(solveLowerTransposed(l, 3, Float64Array.of(-10, 17, 9)), [1, 2, 3])).toBeLessThan(1e-15);
    const u = transposed(l, 3);
    expect(maxAbsDiff(solveUpper(u, 3, Float64Array.of(-10, 17, 9)), [1, 2, 3])).toBeLessThan(1e-15);
  });

  it('solves several right-hand sides, and solves A·x = b through the factor', () => {
    const n = 90;
    const h = randomSpd(n, 120, 11);
    const f = choleskyLower(h, n);
    const rand = seededRandom(12);
    const x = new Float64Array(n * 3);
    for (let p = 0; p < x.length; p++) x[p] = rand() - 0.5;
    const b = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let c = 0; c < 3; c++) b[i * 3 + c] += h[i * n + k] * x[k * 3 + c];
    const solved = solveLowerTransposed(f, n, solveLower(f, n, b, 3), 3);
    expect(maxAbsDiff(solved, x)).toBeLessThan(1e-10);
  });

  it('rejects mismatched right-hand sides', () => {
    expect(() => solveLower(l, 3, new Float64Array(4))).toThrow('b: expected 3×1 = 3 entries, got 4');
    expect(() => solveLower(l, 3, new Float64Array(6), 0)).toThrow('nrhs: expected a positive integer, got 0');
    expect(() => solveUpper(new Float64Array(9), 3, new Float64Array(3))).toThrow('u: diagonal entry 0 is 0');
  });
});

describe('minPivotRatio', () => {
  it('rejects a numerically singular matrix that plain positivity would accept', () => {
    // [[2, 2], [2, 2 + 1e-15]]: the second pivot is ~1e-15 > 0, but below 1e-12·(2 + 1e-15).
    const a = Float64Array.of(2, 2, 2, 2 + 1e-15);
    expect(choleskyLower(a, 2)[3]).toBeGreaterThan(0);
    expect(() => choleskyLower(a, 2, { minPivotRatio: 1e-12 })).toThrow(/Cholesky pivot 1 is .* after elimination \(must be > 2\.00000000000000\d*e-12\)/);
    expect(() => upperCholeskyOfInverse(a, 2, { minPivotRatio: 1e-12 })).toThrow(/Cholesky pivot 0 is /);
    expect(() => choleskyLower(a, 2, { minPivotRatio: 1 })).toThrow('minPivotRatio: expected a number in [0, 1), got 1');
  });
});
