// The float32 products behind the blocked Cholesky / triangular inverse and SparseGPT's lazy updates, as run by ONE
// thread on its own tfjs backend: operands are packed from float64 (or float32) row-major regions into float32,
// multiplied with tf.matMul and added back into the destination region. The main thread runs them directly
// (linalg-blocked.ts) and, with a LinalgPool, each worker thread runs them on its share of the rows
// (linalg-worker.ts), so the same code gives the same per-row sums whatever the thread count.
import { tf, wasmHeapView, wasmTensorFilled } from '@dass/tensor-backend';

/** How a product is written into its destination: c = p, c = −p, c += p, c −= p. */
export type WriteMode = 'set' | 'neg' | 'add' | 'sub';
/** Dense real storage the products read and write (row-major regions with a row stride). */
export type RealArray = Float64Array | Float32Array;

/**
 * `syrkRows`: rows per symmetric-update product (the wasted strict-upper part of the diagonal tile is
 * ≤ rows/(2·order)). Internal: tests shrink it so that small matrices split over threads.
 */
export const gemmTuning = { syrkRows: 512 };
/** Floats per product read back from tfjs at once (16 MiB): bounds the wasm heap and the JS-side copy. */
const MAX_OUTPUT = 1 << 22;

let scratch = new Float32Array(0);

/** Drops this thread's packing scratch buffer (up to ~120 MiB after an 11008-order factorization). */
export function releaseScratch(): void {
  scratch = new Float32Array(0);
}

/**
 * Float32 copy of the rows×cols region of `src` at `off` (row stride `ld`), or of its transpose (cols×rows). On the
 * wasm backend, which copies a tensor's values into its heap at creation, the copy goes to one reused scratch buffer
 * (fresh multi-megabyte arrays cost page faults); other backends may keep a reference, so they get a new array.
 */
export function packF32(src: RealArray, off: number, ld: number, rows: number, cols: number, transpose: boolean): Float32Array {
  let out: Float32Array;
  if (tf.getBackend() === 'wasm') {
    if (scratch.length < rows * cols) scratch = new Float32Array(Math.max(rows * cols, Math.ceil(scratch.length * 1.5)));
    out = scratch.subarray(0, rows * cols);
  } else {
    out = new Float32Array(rows * cols);
  }
  return packInto(out, src, off, ld, rows, cols, transpose);
}

/**
 * `packF32` as a new tfjs tensor ([rows, cols], or [cols, rows] transposed). On wasm the values are packed straight
 * into the tensor's heap memory (no scratch copy); elsewhere through `packF32`.
 */
export function packedTensor(src: RealArray, off: number, ld: number, rows: number, cols: number, transpose: boolean): tf.Tensor2D {
  const shape = transpose ? [cols, rows] : [rows, cols];
  return (
    wasmTensorFilled<tf.Rank.R2>(shape, (out) => packInto(out, src, off, ld, rows, cols, transpose)) ??
    tf.tensor2d(packF32(src, off, ld, rows, cols, transpose), shape as [number, number])
  );
}

/** Writes the float32 copy (or transpose) of the region into `out` (rows·cols floats); returns `out`. */
function packInto(out: Float32Array, src: RealArray, off: number, ld: number, rows: number, cols: number, transpose: boolean): Float32Array {
  if (!transpose) {
    for (let i = 0; i < rows; i++) {
      const s = off + i * ld;
      const d = i * cols;
      for (let j = 0; j < cols; j++) out[d + j] = src[s + j];
    }
    return out;
  }
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) {
        const s = off + i * ld;
        for (let j = j0; j < j1; j++) out[j * rows + i] = src[s + j];
      }
    }
  }
  return out;
}

/**
 * Columns [0, e) of the k×n tensor `t`. On wasm copied row by row inside the heap: tfjs-backend-wasm's Slice kernel
 * first copies the WHOLE input out of the heap into a fresh array (`readSync`), which cost 7 s of an 11008-order
 * factorization here; elsewhere `tf.slice`.
 */
function leadingColumns(t: tf.Tensor2D, k: number, n: number, e: number): tf.Tensor2D {
  const copied = wasmTensorFilled<tf.Rank.R2>([k, e], (out) => {
    const src = wasmHeapView(t)!; // taken after the allocation (which may move the heap)
    for (let r = 0; r < k; r++) out.set(src.subarray(r * n, r * n + e), r * e);
  });
  return copied ?? tf.slice(t, [0, 0], [k, e]);
}

/** c[i][j] (region at cOff, stride ldc) ← / ← − / += / −= p[i][j] for the m×n product p (row-major, stride n). */
export function writeBack(c: RealArray, cOff: number, ldc: number, p: ArrayLike<number>, m: number, n: number, mode: WriteMode): void {
  for (let i = 0; i < m; i++) {
    const d = cOff + i * ldc;
    const s = i * n;
    if (mode === 'set') for (let j = 0; j < n; j++) c[d + j] = p[s + j];
    else if (mode === 'neg') for (let j = 0; j < n; j++) c[d + j] = -p[s + j];
    else if (mode === 'add') for (let j = 0; j < n; j++) c[d + j] += p[s + j];
    else for (let j = 0; j < n; j++) c[d + j] -= p[s + j];
  }
}

/** One product C op= A·op(B): see multiplyF32 in linalg-blocked.ts for the arguments. */
export interface ProductArgs {
  c: RealArray;
  cOff: number;
  ldc: number;
  mode: WriteMode;
  a: RealArray;
  aOff: number;
  lda: number;
  b: RealArray;
  bOff: number;
  ldb: number;
  bTrans: boolean;
  m: number;
  k: number;
  n: number;
}

/** op(B) (k×n) packed to float32 and uploaded to this thread's tfjs backend; the caller disposes it. */
export function uploadB(p: ProductArgs): tf.Tensor2D {
  const { b, bOff, ldb, bTrans, k, n } = p;
  return bTrans ? packedTensor(b, bOff, ldb, n, k, true) : packedTensor(b, bOff, ldb, k, n, false);
}

/**
 * Rows [r0, r1) of C op= A·op(B) with op(B) already uploaded (`bt`, k×n): A is packed and multiplied in row chunks,
 * each written back before the next is packed, so C may be A itself ('set' in place).
 */
export function productRows(p: ProductArgs, bt: tf.Tensor2D, r0: number, r1: number): void {
  const { c, cOff, ldc, mode, a, aOff, lda, k, n } = p;
  const chunk = Math.max(1, Math.min(r1 - r0, Math.floor(MAX_OUTPUT / n)));
  for (let s = r0; s < r1; s += chunk) {
    const nr = Math.min(chunk, r1 - s);
    const at = packedTensor(a, aOff + s * lda, lda, nr, k, false);
    let product: tf.Tensor | undefined;
    try {
      product = tf.matMul(at, bt);
      // On wasm read in place in the heap (no copy into a fresh array; writeBack runs no tfjs op).
      writeBack(c, cOff + s * ldc, ldc, wasmHeapView(product) ?? (product.dataSync() as Float32Array), nr, n, mode);
    } finally {
      at.dispose();
      product?.dispose();
    }
  }
}

/** The whole product in this thread (k = 0 included). */
export function productSerial(p: ProductArgs): void {
  const { m, k, n } = p;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (p.mode === 'set' || p.mode === 'neg') writeBack(p.c, p.cOff, p.ldc, new Float32Array(m * n), m, n, 'set');
    return;
  }
  const bt = uploadB(p);
  try {
    productRows(p, bt, 0, m);
  } finally {
    bt.dispose();
  }
}

/**
 * Rows [r0, r1) of the lower triangle of the order-m block C at (o, o) −= A·Aᵀ, A the m×k block at (o, c0), of the
 * row-major matrix `a` with stride `ld` (C and A are disjoint column ranges). In gemmTuning.syrkRows-row products against the
 * columns [0, row end) only; r0 must be a multiple of gemmTuning.syrkRows.
 */
export function syrkRows(a: RealArray, ld: number, o: number, m: number, c0: number, k: number, r0: number, r1: number): void {
  if (r1 <= r0 || k <= 0) return;
  const aOff = o * ld + c0;
  const bt = packedTensor(a, aOff, ld, r1, k, true);
  const step = gemmTuning.syrkRows;
  try {
    for (let s = r0; s < r1; s += step) {
      const e = Math.min(r1, s + step);
      const rows = e - s;
      const at = packedTensor(a, aOff + s * ld, ld, rows, k, false);
      const cols = e === r1 ? bt : leadingColumns(bt, k, r1, e);
      let product: tf.Tensor | undefined;
      try {
        product = tf.matMul(at, cols);
        const p = wasmHeapView(product) ?? (product.dataSync() as Float32Array);
        for (let i = 0; i < rows; i++) {
          const d = (o + s + i) * ld + o;
          const src = i * e;
          for (let j = 0; j <= s + i; j++) a[d + j] -= p[src + j];
        }
      } finally {
        at.dispose();
        if (cols !== bt) cols.dispose();
        product?.dispose();
      }
    }
  } finally {
    bt.dispose();
  }
}
