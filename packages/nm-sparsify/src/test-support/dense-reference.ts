// Naive float64 references the linear-algebra and SparseGPT tests check the fast paths against (test-only).

/** Naive float64 C = A·B for row-major n×n matrices. */
export function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const x = a[i * n + k];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += x * b[k * n + j];
    }
  }
  return c;
}

/** Aᵀ of a row-major n×n matrix. */
export function transposed(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/**
 * Layer-output error of a pruned weight, ‖(W − Ŵ)Xᵀ‖² = Σ_r δ_r·G·δ_rᵀ with G = XᵀX (`[cols, cols]`, float64) and
 * δ_r the r-th row of W − Ŵ (`[rows, cols]`, row-major). Units: squared activations summed over tokens.
 */
export function reconstructionError(w: ArrayLike<number>, pruned: ArrayLike<number>, gram: Float64Array, rows: number, cols: number): number {
  let total = 0;
  const delta = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) delta[j] = w[r * cols + j] - pruned[r * cols + j];
    for (let i = 0; i < cols; i++) {
      if (delta[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) s += gram[i * cols + j] * delta[j];
      total += delta[i] * s;
    }
  }
  return total;
}
