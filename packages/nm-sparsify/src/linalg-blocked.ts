// Recursive blocked Cholesky, triangular inverse and SparseGPT's upper Cholesky factor of H⁻¹, with the O(n³) work
// (triangular solves with many right-hand sides, symmetric rank-k updates, triangular products) run as float32
// matrix products on the active tfjs backend and float64 kept for the small diagonal blocks (order ≤ 256), whose
// pivots decide positive definiteness. The matrix itself stays a float64 row-major array: every float32 product is
// added back into float64, so rounding does not accumulate across the recursion beyond one float32 product per step.
// Algorithms: the recursive formulations of Gustavson (1997), "Recursion leads to automatic variable blocking for
// dense linear-algebra algorithms", IBM J. Res. Dev. 41(6) (POTRF = POTRF·TRSM·SYRK·POTRF; TRTRI = TRTRI·TRMM·
// TRTRI·TRMM); the float32 choice follows the reference `fasterprune`, which runs this step in float32 throughout.
import { currentBackend } from '@dass/tensor-backend';
import { releaseScratch as releaseCoreScratch, syrkRows, type RealArray, type WriteMode } from './gemm-core.js';
import { activeLinalgPool, productAnywhere, sharedFloat64Array } from './linalg-active.js';
import { NotPositiveDefiniteError, checkSquare, pivotRatio, type CholeskyOptions } from './linalg.js';
import { InvalidArgumentError } from '@dass/errors';

/**
 * Recursion cut-offs. `leaf`: order of the diagonal blocks factored and inverted in float64 (a matrix of at most this
 * order never touches tfjs). `trmmLeaf`: triangular products with a triangle up to this order run as one full product.
 * Internal: tests shrink them so that small matrices exercise every branch of the recursion.
 */
export const blockedTuning = { leaf: 256, trmmLeaf: 256 };

export type { WriteMode, RealArray };

/**
 * Drops the packing scratch buffers (up to ~120 MiB after an 11008-order factorization), this thread's and the
 * active LinalgPool's workers' (which also forget the shared arrays they were shown); called after each top-level job.
 */
export function releaseScratch(): void {
  releaseCoreScratch();
  activeLinalgPool()?.forget();
}

/**
 * C (m×n at cOff, stride ldc) op= A·op(B) in float32 on tfjs: A is m×k at aOff (stride lda); op(B) is the k×n
 * region at bOff (stride ldb), or with `bTrans` the transpose of the n×k region there. B is packed once; A is packed
 * and multiplied in row chunks, each written back before the next is packed, so C may be A itself ('set' in place).
 * With a LinalgPool active (`withLinalgPool`) and all three arrays in SharedArrayBuffers, the rows are split over
 * its threads (each row computed by one thread, as here); otherwise it runs on this thread.
 */
export function multiplyF32(
  c: RealArray,
  cOff: number,
  ldc: number,
  mode: WriteMode,
  a: RealArray,
  aOff: number,
  lda: number,
  b: RealArray,
  bOff: number,
  ldb: number,
  bTrans: boolean,
  m: number,
  k: number,
  n: number,
): void {
  productAnywhere({ c, cOff, ldc, mode, a, aOff, lda, b, bOff, ldb, bTrans, m, k, n });
}

/** Splits an order-m problem at a multiple of 64 near m/2 (both halves ≥ 1). */
function half(m: number): number {
  return Math.min(m - 1, Math.max(Math.min(64, m >> 1), Math.round(m / 128) * 64));
}

/** Inverse of the lower-triangular q×q matrix `l` (contiguous), by rows: X[i][j] = −(Σ_{j≤k<i} L[i][k]·X[k][j]) / L[i][i]. */
function invertLowerSmall(l: Float64Array, q: number): Float64Array {
  const x = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    const ri = i * q;
    const lii = l[ri + i];
    x[ri + i] = 1 / lii;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[ri + k] * x[k * q + j];
      x[ri + j] = -s / lii;
    }
  }
  return x;
}

/** In-place float64/float32 recursive factorization and inversion of one n×n row-major matrix. */
class BlockedSolver {
  constructor(
    readonly a: Float64Array,
    readonly n: number,
    /** Pivot floors (minPivotRatio × original diagonal), per index; undefined = plain positivity. */
    readonly floors?: Float64Array,
  ) {}

  private shared?: Float64Array;

  /** `x`, or a copy in one reused shared buffer when a LinalgPool is active (so its workers can read it). */
  private shareable(x: Float64Array): Float64Array {
    if (!activeLinalgPool()) return x;
    if (!this.shared || this.shared.length < x.length) this.shared = sharedFloat64Array(Math.max(x.length, blockedTuning.leaf ** 2));
    const y = this.shared.subarray(0, x.length);
    y.set(x);
    return y;
  }

  /** Copy of the lower triangle of the q×q diagonal block at (o, o), contiguous, zeros above. */
  private lowerBlock(o: number, q: number): Float64Array {
    const { a, n } = this;
    const out = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) out[i * q + j] = a[(o + i) * n + o + j];
    return out;
  }

  private storeLower(o: number, q: number, x: Float64Array): void {
    const { a, n } = this;
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) a[(o + i) * n + o + j] = x[i * q + j];
  }

  /** Lower Cholesky of the diagonal block at (o, o), order m, in place (lower triangle; the upper is not touched). */
  potrf(o: number, m: number): void {
    if (m <= blockedTuning.leaf) return this.potrfLeaf(o, m);
    const m1 = half(m);
    const m2 = m - m1;
    this.potrf(o, m1);
    this.trsm(o + m1, m2, o, m1);
    this.syrk(o + m1, m2, o, m1);
    this.potrf(o + m1, m2);
  }

  private potrfLeaf(o: number, m: number): void {
    const l = this.lowerBlock(o, m);
    for (let j = 0; j < m; j++) {
      const rj = j * m;
      let s = l[rj + j];
      for (let k = 0; k < j; k++) s -= l[rj + k] * l[rj + k];
      const floor = this.floors ? this.floors[o + j] : 0;
      if (!(s > floor)) throw new NotPositiveDefiniteError('a', this.n, o + j, s, floor);
      const d = Math.sqrt(s);
      l[rj + j] = d;
      for (let i = j + 1; i < m; i++) {
        const ri = i * m;
        let t = l[ri + j];
        for (let k = 0; k < j; k++) t -= l[ri + k] * l[rj + k];
        l[ri + j] = t / d;
      }
    }
    this.storeLower(o, m, l);
  }

  /** B ← B·L⁻ᵀ for the p×q block B at (r0, c0) and the factored lower block L at (c0, c0) of order q. */
  private trsm(r0: number, p: number, c0: number, q: number): void {
    const { a, n } = this;
    if (q <= blockedTuning.leaf) {
      const linv = this.shareable(invertLowerSmall(this.lowerBlock(c0, q), q));
      multiplyF32(a, r0 * n + c0, n, 'set', a, r0 * n + c0, n, linv, 0, q, true, p, q, q);
      return;
    }
    const q1 = half(q);
    const q2 = q - q1;
    this.trsm(r0, p, c0, q1);
    // B2 −= X1·L21ᵀ with L21 the q2×q1 block at (c0 + q1, c0).
    multiplyF32(a, r0 * n + c0 + q1, n, 'sub', a, r0 * n + c0, n, a, (c0 + q1) * n + c0, n, true, p, q1, q2);
    this.trsm(r0, p, c0 + q1, q2);
  }

  /** Lower triangle of the order-m block C at (o, o) −= A·Aᵀ, A the m×k block at (o, c0). */
  private syrk(o: number, m: number, c0: number, k: number): void {
    const { a, n } = this;
    if (activeLinalgPool()?.trySyrk(a, n, o, m, c0, k)) return;
    syrkRows(a, n, o, m, c0, k, 0, m);
  }

  /** In-place inverse of the lower-triangular diagonal block at (o, o) of order m (strict upper triangle zero). */
  trtri(o: number, m: number): void {
    if (m <= blockedTuning.leaf) {
      this.storeLower(o, m, invertLowerSmall(this.lowerBlock(o, m), m));
      return;
    }
    const m1 = half(m);
    const m2 = m - m1;
    // [L11 0; L21 L22]⁻¹ = [X11 0; −X22·L21·X11  X22].
    this.trtri(o, m1);
    this.trmmRight(o + m1, m2, o, m1);
    this.trtri(o + m1, m2);
    this.trmmLeft(o + m1, m2, o, m1);
  }

  /** B ← B·X for the p×q block B at (r0, c0) and the lower-triangular X at (c0, c0) of order q. */
  private trmmRight(r0: number, p: number, c0: number, q: number): void {
    const { a, n } = this;
    if (q <= blockedTuning.trmmLeaf) {
      multiplyF32(a, r0 * n + c0, n, 'set', a, r0 * n + c0, n, a, c0 * n + c0, n, false, p, q, q);
      return;
    }
    const q1 = half(q);
    const q2 = q - q1;
    // [B1 B2]·[X11 0; X21 X22] = [B1·X11 + B2·X21, B2·X22]: B1 first (it needs the old B2), then B2.
    this.trmmRight(r0, p, c0, q1);
    multiplyF32(a, r0 * n + c0, n, 'add', a, r0 * n + c0 + q1, n, a, (c0 + q1) * n + c0, n, false, p, q2, q1);
    this.trmmRight(r0, p, c0 + q1, q2);
  }

  /** B ← −X·B for the p×q block B at (r0, c0) and the lower-triangular X at (r0, r0) of order p. */
  private trmmLeft(r0: number, p: number, c0: number, q: number): void {
    const { a, n } = this;
    if (p <= blockedTuning.trmmLeaf) {
      multiplyF32(a, r0 * n + c0, n, 'neg', a, r0 * n + r0, n, a, r0 * n + c0, n, false, p, p, q);
      return;
    }
    const p1 = half(p);
    const p2 = p - p1;
    // −[X11 0; X21 X22]·[B1; B2] = [−X11·B1; −X21·B1 − X22·B2]: B2 first (it needs the old B1), then B1.
    this.trmmLeft(r0 + p1, p2, c0, q);
    multiplyF32(a, (r0 + p1) * n + c0, n, 'sub', a, (r0 + p1) * n + r0, n, a, r0 * n + c0, n, false, p2, p1, q);
    this.trmmLeft(r0, p1, c0, q);
  }

  /** Zeroes the strict upper triangle of the whole matrix. */
  zeroUpper(): void {
    const { a, n } = this;
    for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  }
}

/** A copy of `a`, in shared memory when a LinalgPool is active (so its workers can split the products). */
function copyShared(a: Float64Array): Float64Array {
  const out = sharedFloat64Array(a.length);
  out.set(a);
  return out;
}

function requireBackend(what: string): void {
  if (!currentBackend()) throw new Error(`${what}: needs an active tfjs backend for its float32 products; await ensureBackend() first`);
}

function floorsOf(a: Float64Array, n: number, ratio: number): Float64Array | undefined {
  if (ratio === 0) return undefined;
  const floors = new Float64Array(n);
  for (let j = 0; j < n; j++) floors[j] = ratio * Math.abs(a[j * n + j]);
  return floors;
}

/**
 * Lower Cholesky factor L (A = L·Lᵀ) by the recursive blocked algorithm: float64 diagonal blocks of order ≤ 256,
 * everything else float32 products on the active tfjs backend (relative backward error ~ n·2⁻²⁴ instead of n·2⁻⁵³).
 * Reads only the lower triangle; returns a new matrix, zero above the diagonal. Throws NotPositiveDefiniteError
 * naming the failing pivot, like `choleskyLower`, and an Error when no tfjs backend is active.
 */
export function choleskyLowerBlocked(a: Float64Array, n: number, options?: CholeskyOptions): Float64Array {
  checkSquare('a', a, n);
  const ratio = pivotRatio(options);
  if (n > blockedTuning.leaf) requireBackend('choleskyLowerBlocked');
  const l = copyShared(a);
  const solver = new BlockedSolver(l, n, floorsOf(l, n, ratio));
  try {
    solver.potrf(0, n);
  } finally {
    releaseScratch();
  }
  solver.zeroUpper();
  return l;
}

/** Inverse of a lower-triangular matrix by the recursive blocked algorithm (float32 products on tfjs). */
export function invertLowerBlocked(l: Float64Array, n: number): Float64Array {
  checkSquare('l', l, n);
  for (let i = 0; i < n; i++) {
    if (l[i * n + i] === 0) throw new InvalidArgumentError('l', `diagonal entry ${i} is 0: the triangular matrix is singular`);
  }
  if (n > blockedTuning.leaf) requireBackend('invertLowerBlocked');
  const x = copyShared(l);
  const solver = new BlockedSolver(x, n);
  solver.zeroUpper();
  try {
    solver.trtri(0, n);
  } finally {
    releaseScratch();
  }
  return x;
}

/**
 * Overwrites the symmetric `a` (order n; only its upper triangle — after the flip, the lower — is read) with the
 * upper Cholesky factor U of A⁻¹ (A⁻¹ = Uᵀ·U), as `upperCholeskyOfInverse` but blocked: A is reversed in place
 * (J·A·J, a flat reversal), factored L·Lᵀ, L inverted in place and the result reversed back (U = J·L⁻¹·J), 2n³/3 flops
 * and no second n×n buffer. Throws NotPositiveDefiniteError (pivot in the caller's numbering); `a` is then garbage.
 * The products use the active LinalgPool's threads only when `a` is in shared memory (`sharedFloat64Array`).
 */
export function upperCholeskyOfInverseBlockedInPlace(a: Float64Array, n: number, minPivotRatio: number, argName = 'a'): void {
  if (n > blockedTuning.leaf) requireBackend('upperCholeskyOfInverseBlocked');
  a.reverse();
  const solver = new BlockedSolver(a, n, floorsOf(a, n, minPivotRatio));
  try {
    solver.potrf(0, n);
    solver.zeroUpper();
    solver.trtri(0, n);
  } catch (err) {
    if (err instanceof NotPositiveDefiniteError) {
      throw new NotPositiveDefiniteError(argName, n, n - 1 - err.pivot, err.value, err.floor);
    }
    throw err;
  } finally {
    releaseScratch();
  }
  a.reverse();
}

/**
 * Upper Cholesky factor U of A⁻¹ (A⁻¹ = Uᵀ·U), the `torch.linalg.cholesky(H⁻¹, upper=True)` SparseGPT sweeps with,
 * by the blocked float32-product algorithm (see upperCholeskyOfInverseBlockedInPlace). `a` is not modified; it must
 * be symmetric (one triangle is read). Errors as `upperCholeskyOfInverse`, plus an Error when no tfjs backend is active.
 */
export function upperCholeskyOfInverseBlocked(a: Float64Array, n: number, options?: CholeskyOptions): Float64Array {
  checkSquare('a', a, n);
  const ratio = pivotRatio(options);
  const u = copyShared(a);
  upperCholeskyOfInverseBlockedInPlace(u, n, ratio);
  return u;
}
