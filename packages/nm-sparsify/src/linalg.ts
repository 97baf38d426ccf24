// Dense float64 linear algebra for SparseGPT: Cholesky, triangular solves and inverses, in plain TypeScript.
// Matrices are row-major Float64Array of order n (entry (i, j) at i·n + j). The O(n³) work runs as blocked
// C -= A·Bᵀ products (see linalg-kernels.ts) so n = 4096 takes seconds, not minutes.
import { transposeMatrix } from './bitmask.js';
import { subtractProductNT } from './linalg-kernels.js';
import { DassError, hasMarker, InvalidArgumentError, setMarker } from '@dass/errors';

/** Panel width of the blocked Cholesky and of the blocked triangular inverse. */
const PANEL = 64;
/** Tile edge of the trailing (Schur complement) update: keeps one operand tile in L1/L2 while the other streams. */
const TILE = 64;
/** Length of the k-chunks in the triangular inverse's products: a 64-row operand chunk is 128 KiB (L2-resident). */
const K_CHUNK = 256;

const NOT_POSITIVE_DEFINITE = Symbol.for('dass.error.NotPositiveDefiniteError');

/**
 * Thrown when a Cholesky pivot is not positive: the matrix is not (numerically) positive definite. Code
 * `DASS_NOT_POSITIVE_DEFINITE`, `field` the matrix argument's name.
 */
export class NotPositiveDefiniteError extends DassError {
  /** Row/column index of the failing pivot in the caller's matrix. */
  readonly pivot: number;
  /** The pivot's value after elimination (≤ 0 or NaN). */
  readonly value: number;
  /** Order of the matrix. */
  readonly order: number;
  /** The pivot had to exceed this (minPivotRatio × its original diagonal entry; 0 by default). */
  readonly floor: number;

  constructor(argName: string, order: number, pivot: number, value: number, floor = 0) {
    super(
      'DASS_NOT_POSITIVE_DEFINITE',
      `${argName}: the ${order}×${order} matrix is not positive definite: Cholesky pivot ${pivot} is ${value} after elimination (must be > ${floor})`,
      { field: argName },
    );
    setMarker(this, NOT_POSITIVE_DEFINITE);
    this.name = 'NotPositiveDefiniteError';
    this.pivot = pivot;
    this.value = value;
    this.order = order;
    this.floor = floor;
  }

  static override isInstance(error: unknown): error is NotPositiveDefiniteError {
    return hasMarker(error, NOT_POSITIVE_DEFINITE);
  }
}

export interface CholeskyOptions {
  /**
   * Fail when a pivot is not above this fraction of its original diagonal entry (default 0: fail only on pivots
   * ≤ 0, as LAPACK). Around n·ε it rejects numerically singular matrices whose factor would be garbage.
   */
  minPivotRatio?: number;
}

/** Validated `minPivotRatio` (internal; shared with linalg-blocked.ts). */
export function pivotRatio(options: CholeskyOptions | undefined): number {
  const r = options?.minPivotRatio ?? 0;
  if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r >= 1) {
    throw new InvalidArgumentError('minPivotRatio', `expected a number in [0, 1), got ${String(r)}`);
  }
  return r;
}

function checkOrder(argName: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(argName, `expected a positive integer order, got ${n}`);
}

/** Checks that `a` is a finite n×n Float64Array (internal; shared with linalg-blocked.ts). */
export function checkSquare(argName: string, a: unknown, n: number): asserts a is Float64Array {
  checkOrder('n', n);
  if (!(a instanceof Float64Array)) {
    throw new InvalidArgumentError(argName, `expected a Float64Array, got ${a === null ? 'null' : typeof a === 'object' ? a.constructor.name : typeof a}`);
  }
  if (a.length !== n * n) {
    throw new InvalidArgumentError(
      argName,
      `expected a square ${n}×${n} matrix (${n * n} entries), got ${a.length} entries` + (a.length % n === 0 ? ` (${a.length / n}×${n}: not square)` : ''),
    );
  }
  for (let p = 0; p < a.length; p++) {
    if (!Number.isFinite(a[p])) {
      throw new InvalidArgumentError(argName, `entry (${Math.floor(p / n)}, ${p % n}) is ${a[p]}, expected a finite number`);
    }
  }
}

function checkRightHandSide(argName: string, b: unknown, n: number, nrhs: number): asserts b is Float64Array {
  if (!Number.isInteger(nrhs) || nrhs < 1) throw new InvalidArgumentError('nrhs', `expected a positive integer, got ${nrhs}`);
  if (!(b instanceof Float64Array)) throw new InvalidArgumentError(argName, `expected a Float64Array`);
  if (b.length !== n * nrhs) {
    throw new InvalidArgumentError(argName, `expected ${n}×${nrhs} = ${n * nrhs} entries, got ${b.length}`);
  }
}

function checkTriangularDiagonal(argName: string, t: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const d = t[i * n + i];
    if (d === 0) throw new InvalidArgumentError(argName, `diagonal entry ${i} is 0: the triangular matrix is singular`);
  }
}

/**
 * In-place blocked right-looking Cholesky of the lower triangle of `l` (n×n). On return the lower triangle holds L
 * (A = L·Lᵀ) and the strict upper triangle is zero. Throws NotPositiveDefiniteError with the pivot index.
 */
function choleskyInPlace(l: Float64Array, n: number, argName: string, minPivotRatio: number): void {
  // Pivot floors relative to the original diagonal (0 = plain positivity, as LAPACK's potrf).
  const floors = new Float64Array(n);
  if (minPivotRatio > 0) for (let j = 0; j < n; j++) floors[j] = minPivotRatio * Math.abs(l[j * n + j]);
  const packed = new Float64Array(Math.max(0, n - PANEL) * PANEL);
  const diagT = new Float64Array(PANEL * PANEL);
  for (let k0 = 0; k0 < n; k0 += PANEL) {
    const k1 = Math.min(k0 + PANEL, n);
    const w = k1 - k0;
    // 1. Diagonal block, unblocked (earlier panels were already subtracted by the trailing updates).
    for (let j = k0; j < k1; j++) {
      const rj = j * n;
      let s = l[rj + j];
      for (let k = k0; k < j; k++) s -= l[rj + k] * l[rj + k];
      if (!(s > floors[j])) throw new NotPositiveDefiniteError(argName, n, j, s, floors[j]);
      const d = Math.sqrt(s);
      l[rj + j] = d;
      for (let i = j + 1; i < k1; i++) {
        const ri = i * n;
        let t = l[ri + j];
        for (let k = k0; k < j; k++) t -= l[ri + k] * l[rj + k];
        l[ri + j] = t / d;
      }
    }
    if (k1 === n) break;
    // 2. Panel below the diagonal block: row segments solve X·L11ᵀ = A21. Axpy form against L11ᵀ packed by rows
    // (contiguous, no dependency chain in the inner loop).
    for (let j = 0; j < w; j++) {
      for (let jj = j; jj < w; jj++) diagT[j * w + jj] = l[(k0 + jj) * n + k0 + j];
    }
    for (let i = k1; i < n; i++) {
      const ri = i * n + k0;
      for (let j = 0; j < w; j++) {
        const x = l[ri + j] / diagT[j * w + j];
        l[ri + j] = x;
        if (x === 0) continue;
        const dj = j * w;
        for (let jj = j + 1; jj < w; jj++) l[ri + jj] -= x * diagT[dj + jj];
      }
    }
    // 3. Trailing update A22 -= L21·L21ᵀ on the lower triangle, by tiles, from a packed copy of the panel.
    const below = n - k1;
    for (let i = 0; i < below; i++) {
      const src = (k1 + i) * n + k0;
      packed.set(l.subarray(src, src + w), i * w);
    }
    for (let jb = 0; jb < below; jb += TILE) {
      const nj = Math.min(TILE, below - jb);
      for (let ib = jb; ib < below; ib += TILE) {
        const ni = Math.min(TILE, below - ib);
        // Diagonal tiles are computed whole; their strict upper half is never read and is zeroed at the end.
        subtractProductNT(l, (k1 + ib) * n + k1 + jb, n, packed, ib * w, w, packed, jb * w, w, ni, nj, w);
      }
    }
  }
  for (let i = 0; i < n; i++) l.fill(0, i * n + i + 1, (i + 1) * n);
}

/**
 * Y = (L⁻¹)ᵀ (upper triangular) for a lower-triangular L with a nonzero diagonal, by block rows of L⁻¹:
 * Y[J][I] = −(Σ_{K<I} Y[J][K]·L[I][K]ᵀ)·L[I][I]⁻ᵀ, every product an NT product over contiguous rows.
 */
function invertLowerTransposed(l: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n * n);
  const t = new Float64Array(n * PANEL);
  const xii = new Float64Array(PANEL * PANEL);
  const negXii = new Float64Array(PANEL * PANEL);
  for (let i0 = 0; i0 < n; i0 += PANEL) {
    const i1 = Math.min(i0 + PANEL, n);
    const w = i1 - i0;
    // Inverse of the diagonal block by forward substitution (X_II lower).
    xii.fill(0);
    for (let i = 0; i < w; i++) {
      const ri = (i0 + i) * n + i0;
      const lii = l[ri + i];
      xii[i * w + i] = 1 / lii;
      for (let j = 0; j < i; j++) {
        let s = 0;
        for (let k = j; k < i; k++) s += l[ri + k] * xii[k * w + j];
        xii[i * w + j] = -s / lii;
      }
    }
    for (let a = 0; a < w; a++) {
      for (let b = a; b < w; b++) y[(i0 + a) * n + i0 + b] = xii[b * w + a];
    }
    if (i0 === 0) continue;
    // T[j][i] = −Σ_{k<i0} Y[j][k]·L[i][k] for j < i0 (Y[j][k] = 0 for k < j, so chunk rows stop at the chunk end).
    t.fill(0, 0, i0 * w);
    for (let kc0 = 0; kc0 < i0; kc0 += K_CHUNK) {
      const kc1 = Math.min(kc0 + K_CHUNK, i0);
      subtractProductNT(t, 0, w, y, kc0, n, l, i0 * n + kc0, n, kc1, w, kc1 - kc0);
    }
    // Y[j][i] = Σ_{i'} T[j][i']·X_II[i][i']  (C -= T·(−X_II)ᵀ on a zero block).
    for (let p = 0; p < w * w; p++) negXii[p] = -xii[p];
    subtractProductNT(y, i0, n, t, 0, w, negXii, 0, w, i0, w, w);
  }
  return y;
}

/** out[a][b] = y[n−1−b][n−1−a], i.e. out = J·yᵀ·J with J the order-reversing permutation; blocked for the cache. */
function reverseTranspose(y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  const B = 32;
  for (let a0 = 0; a0 < n; a0 += B) {
    for (let b0 = 0; b0 < n; b0 += B) {
      const a1 = Math.min(a0 + B, n);
      const b1 = Math.min(b0 + B, n);
      for (let a = a0; a < a1; a++) {
        const src = n - 1 - a;
        for (let b = b0; b < b1; b++) out[a * n + b] = y[(n - 1 - b) * n + src];
      }
    }
  }
  return out;
}

/**
 * Lower Cholesky factor L of a symmetric positive definite matrix (A = L·Lᵀ). Reads only the lower triangle of `a`;
 * returns a new matrix with zeros above the diagonal. Throws NotPositiveDefiniteError naming the failing pivot.
 */
export function choleskyLower(a: Float64Array, n: number, options?: CholeskyOptions): Float64Array {
  checkSquare('a', a, n);
  const ratio = pivotRatio(options);
  const l = Float64Array.from(a);
  choleskyInPlace(l, n, 'a', ratio);
  return l;
}

/** Inverse of a lower-triangular matrix (reads only the lower triangle; the result is lower triangular). */
export function invertLower(l: Float64Array, n: number): Float64Array {
  checkSquare('l', l, n);
  checkTriangularDiagonal('l', l, n);
  return transposeMatrix(invertLowerTransposed(l, n), [n, n]);
}

/**
 * Inverse of a symmetric positive definite matrix through its Cholesky factor (A⁻¹ = L⁻ᵀ·L⁻¹, the semantics of
 * torch.cholesky_inverse(torch.linalg.cholesky(A))). Reads only the lower triangle; returns the full symmetric inverse.
 */
export function choleskyInverse(a: Float64Array, n: number, options?: CholeskyOptions): Float64Array {
  checkSquare('a', a, n);
  const ratio = pivotRatio(options);
  const l = Float64Array.from(a);
  choleskyInPlace(l, n, 'a', ratio);
  const y = invertLowerTransposed(l, n); // y = L⁻ᵀ, upper: A⁻¹ = y·yᵀ
  const inv = new Float64Array(n * n);
  for (let ib = 0; ib < n; ib += TILE) {
    const ni = Math.min(TILE, n - ib);
    for (let jb = 0; jb <= ib; jb += TILE) {
      const nj = Math.min(TILE, n - jb);
      // Rows i ≥ ib of y vanish before column ib, so the dot products start there.
      subtractProductNT(inv, ib * n + jb, n, y, ib * n + ib, n, y, jb * n + ib, n, ni, nj, n - ib);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = -inv[i * n + j];
      inv[i * n + j] = v;
      inv[j * n + i] = v;
    }
  }
  return inv;
}

/**
 * Upper Cholesky factor U of A⁻¹ (A⁻¹ = Uᵀ·U, positive diagonal): the `torch.linalg.cholesky(H⁻¹, upper=True)`
 * SparseGPT sweeps with, computed without forming A⁻¹. With J the order reversal, J·A·J = L·Lᵀ gives
 * A = V·Vᵀ with V = J·L·J upper, so A⁻¹ = (V⁻¹)ᵀ·V⁻¹ and U = V⁻¹ = J·L⁻¹·J: one Cholesky and one triangular
 * inverse (2n³/3 flops) instead of Cholesky, inverse and a second Cholesky. `a` must be symmetric (one triangle is read).
 */
export function upperCholeskyOfInverse(a: Float64Array, n: number, options?: CholeskyOptions): Float64Array {
  checkSquare('a', a, n);
  const ratio = pivotRatio(options);
  const flipped = Float64Array.from(a).reverse(); // (J·A·J)[i][j] = A[n−1−i][n−1−j]
  try {
    choleskyInPlace(flipped, n, 'a', ratio);
  } catch (err) {
    if (err instanceof NotPositiveDefiniteError) {
      // Elimination ran from the last index down: report the pivot in the caller's numbering.
      throw new NotPositiveDefiniteError('a', n, n - 1 - err.pivot, err.value, err.floor);
    }
    throw err;
  }
  return reverseTranspose(invertLowerTransposed(flipped, n), n);
}

/** Solves L·X = B for X (B is n×nrhs, row-major) by forward substitution; L lower triangular. */
export function solveLower(l: Float64Array, n: number, b: Float64Array, nrhs = 1): Float64Array {
  checkSquare('l', l, n);
  checkRightHandSide('b', b, n, nrhs);
  checkTriangularDiagonal('l', l, n);
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    const ri = i * nrhs;
    for (let k = 0; k < i; k++) {
      const f = l[i * n + k];
      if (f === 0) continue;
      const rk = k * nrhs;
      for (let c = 0; c < nrhs; c++) x[ri + c] -= f * x[rk + c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < nrhs; c++) x[ri + c] /= d;
  }
  return x;
}

/** Solves Lᵀ·X = B for X (B is n×nrhs, row-major) by back substitution; L lower triangular (its rows are read). */
export function solveLowerTransposed(l: Float64Array, n: number, b: Float64Array, nrhs = 1): Float64Array {
  checkSquare('l', l, n);
  checkRightHandSide('b', b, n, nrhs);
  checkTriangularDiagonal('l', l, n);
  const x = Float64Array.from(b);
  for (let k = n - 1; k >= 0; k--) {
    const rk = k * nrhs;
    const d = l[k * n + k];
    for (let c = 0; c < nrhs; c++) x[rk + c] /= d;
    // Row k of L holds column k of Lᵀ: remove x_k from the equations above it.
    for (let i = 0; i < k; i++) {
      const f = l[k * n + i];
      if (f === 0) continue;
      const ri = i * nrhs;
      for (let c = 0; c < nrhs; c++) x[ri + c] -= f * x[rk + c];
    }
  }
  return x;
}

/** Solves U·X = B for X (B is n×nrhs, row-major) by back substitution; U upper triangular. */
export function solveUpper(u: Float64Array, n: number, b: Float64Array, nrhs = 1): Float64Array {
  checkSquare('u', u, n);
  checkRightHandSide('b', b, n, nrhs);
  checkTriangularDiagonal('u', u, n);
  const x = Float64Array.from(b);
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * nrhs;
    for (let k = i + 1; k < n; k++) {
      const f = u[i * n + k];
      if (f === 0) continue;
      const rk = k * nrhs;
      for (let c = 0; c < nrhs; c++) x[ri + c] -= f * x[rk + c];
    }
    const d = u[i * n + i];
    for (let c = 0; c < nrhs; c++) x[ri + c] /= d;
  }
  return x;
}
