// Timing of SparseGPT at LLaMA-7B sizes (q/k/v/o: 4096×4096, gate/up: 11008×4096, down: 4096×11008) on random data,
// and the accuracy of its float32 tfjs path against the float64 one on a random 7B-shaped layer.
import { currentBackend, ensureBackend, tf } from '@dass/tensor-backend';
import { upperCholeskyOfInverseBlocked } from '../linalg-blocked.js';
import { withLinalgPool } from '../linalg-pool.js';
import { upperCholeskyOfInverse } from '../linalg.js';
import { runSparseGPT, type SparseGPTMatmul } from '../sparsegpt.js';
import { formatSparsity, type SparsityPattern } from '../sparsity-pattern.js';

export interface SparseGPTBenchCase {
  rows: number;
  cols: number;
}

export interface SparseGPTBenchOptions {
  /** Weight shapes to time; all share one Gram per distinct `cols`. Default 4096×4096 and 11008×4096. */
  cases?: SparseGPTBenchCase[];
  /** Default 2:4. */
  pattern?: SparsityPattern;
  /** Token rows behind the random Gram (its rank before the ridge). Default 512. */
  tokens?: number;
  matmul?: SparseGPTMatmul;
  /** Also time the float64 TypeScript inverse (the path before the blocked one; ~300 s at 11008 here). Default false. */
  float64Inverse?: boolean;
  seed?: number;
  /**
   * Thread counts to time the tfjs path with (a LinalgPool of that many threads on the wasm backend; 1 = no pool).
   * Default [1]. With more than one, case names end in ", N threads".
   */
  threads?: number[];
}

export interface SparseGPTBenchRow {
  case: string;
  /** Wall-clock milliseconds. */
  ms: number;
  /** CPU milliseconds of this process over the same span (user + system): on a shared machine, the work done. */
  cpuMs: number;
}

/** Runs `fn` and returns its wall and process CPU time in milliseconds. */
function timed(fn: () => unknown): { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  fn();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

const DEFAULT_CASES: SparseGPTBenchCase[] = [
  { rows: 4096, cols: 4096 },
  { rows: 11008, cols: 4096 },
  { rows: 4096, cols: 11008 },
];

/** mulberry32 + Box–Muller: reproducible normal samples without dependencies. */
function normalSampler(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A random SPD Gram XᵀX + 0.1·tokens·I, X tokens×cols normal (product on tfjs; operands pre-transposed). */
function randomGram(cols: number, tokens: number, seed: number): Float64Array {
  const normal = normalSampler(seed);
  const x = new Float32Array(tokens * cols);
  for (let p = 0; p < x.length; p++) x[p] = normal();
  const xt = new Float32Array(cols * tokens);
  for (let t = 0; t < tokens; t++) for (let j = 0; j < cols; j++) xt[j * tokens + t] = x[t * cols + j];
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(xt, [cols, tokens]), tf.tensor2d(x, [tokens, cols])));
  const data = product.dataSync();
  product.dispose();
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j <= i; j++) {
      // Symmetrize: float32 products of (i, j) and (j, i) may round differently.
      const v = (data[i * cols + j] + data[j * cols + i]) / 2;
      gram[i * cols + j] = v;
      gram[j * cols + i] = v;
    }
    gram[i * cols + i] += 0.1 * tokens;
  }
  return gram;
}

/**
 * Times the Hessian's upper Cholesky factor of the inverse once per Gram order — blocked float32 products on tfjs
 * (`upperCholeskyOfInverseBlocked`) unless `matmul` is 'plain' or the backend is tfjs's 'cpu', and the float64
 * `upperCholeskyOfInverse` when asked — and `runSparseGPT` once per case (random normal weights). Returns one row
 * per timing, e.g. `{ case: 'upperCholeskyOfInverse 11008 (blocked float32)', ms }`,
 * `{ case: 'sparsegpt 2:4 11008×4096 (tfjs)', ms }`.
 */
export async function benchSparseGPT(options: SparseGPTBenchOptions = {}): Promise<SparseGPTBenchRow[]> {
  const cases = options.cases ?? DEFAULT_CASES;
  if (!Array.isArray(cases) || cases.length === 0) throw new RangeError(`cases: expected a non-empty array of {rows, cols}`);
  for (const c of cases) {
    if (!Number.isSafeInteger(c?.rows) || c.rows < 1 || !Number.isSafeInteger(c?.cols) || c.cols < 1) {
      throw new RangeError(`cases: expected positive integer rows and cols, got ${JSON.stringify(c)}`);
    }
  }
  const pattern = options.pattern ?? { kind: 'nm', n: 2, m: 4 };
  const tokens = options.tokens ?? 512;
  if (!Number.isSafeInteger(tokens) || tokens < 1) throw new RangeError(`tokens: expected a positive integer, got ${tokens}`);
  const seed = options.seed ?? 1;
  await ensureBackend();
  const threadCounts = options.threads ?? [1];
  if (!Array.isArray(threadCounts) || threadCounts.length === 0 || threadCounts.some((t) => !Number.isSafeInteger(t) || t < 1)) {
    throw new RangeError(`threads: expected a non-empty array of positive integers, got ${JSON.stringify(threadCounts)}`);
  }
  const rows: SparseGPTBenchRow[] = [];
  const grams = new Map<number, Float64Array>();
  for (const { cols } of cases) if (!grams.has(cols)) grams.set(cols, randomGram(cols, tokens, seed + cols));
  for (const threads of threadCounts) {
    const suffix = options.threads ? `, ${threads} thread${threads === 1 ? '' : 's'}` : '';
    await withLinalgPool(threads, () => {
      const inverted = new Set<number>();
      for (const { cols } of cases) {
        if (inverted.has(cols)) continue;
        inverted.add(cols);
        const gram = grams.get(cols)!;
        const blocked = options.matmul !== 'plain' && currentBackend()?.name !== 'cpu';
        if (blocked) {
          rows.push({ case: `upperCholeskyOfInverse ${cols} (blocked float32${suffix})`, ...timed(() => upperCholeskyOfInverseBlocked(gram, cols)) });
        }
        if ((!blocked || options.float64Inverse) && threads === threadCounts[0]) {
          rows.push({ case: `upperCholeskyOfInverse ${cols} (float64)`, ...timed(() => upperCholeskyOfInverse(gram, cols)) });
        }
      }
      for (const [index, { rows: r, cols }] of cases.entries()) {
        const normal = normalSampler(seed * 7919 + index);
        const weight = new Float32Array(r * cols);
        for (let p = 0; p < weight.length; p++) weight[p] = 0.02 * normal();
        let used = '';
        const time = timed(() => {
          used = runSparseGPT({ weight, shape: [r, cols], gram: grams.get(cols)!, tokens, pattern, matmul: options.matmul ?? 'auto' }).matmul;
        });
        rows.push({ case: `sparsegpt ${formatSparsity(pattern)} ${r}×${cols} (${used}${suffix})`, ...time });
      }
    });
  }
  return rows;
}

export interface SparseGPTAccuracyOptions {
  /** Columns of the layer (Gram order): 4096 (q/k/v/o/gate/up of LLaMA-7B) or 11008 (down_proj). */
  cols: number;
  /** Weight rows compared (a slice of the layer: masks and errors are per row). Default 256. */
  rows?: number;
  /** Calibration tokens behind the Gram (8 × 256 in the 7B-layer benchmark). Default 2048. */
  tokens?: number;
  pattern?: SparsityPattern;
  seed?: number;
}

export interface SparseGPTAccuracyReport {
  case: string;
  /** Fraction of mask entries on which the float32 tfjs path and the float64 path agree. */
  maskAgreement: number;
  /** ‖(W − Ŵ)Xᵀ‖² of each path (Σ_r δ_r·XᵀX·δ_rᵀ). */
  errorFloat64: number;
  errorFloat32: number;
  /** errorFloat32 / errorFloat64 − 1. */
  errorRatioMinusOne: number;
  /** Wall time of runSparseGPT on each path (the float64 one includes its float64 Hessian inverse). */
  msFloat64: number;
  msFloat32: number;
  /** max over 4 random unit vectors v of ‖H·(UᵀU)·v − v‖ / ‖v‖ for each path's U (H damped as in the run). */
  inverseResidualFloat64: number;
  inverseResidualFloat32: number;
}

/**
 * Random 7B-shaped activations: X = F·B + 0.5·noise (F: tokens × 32 latent factors, so the columns are correlated as
 * real activations are), column j scaled by e^{z_j}, z_j standard normal (unequal column norms). Returns XᵀX.
 */
function activationGram(cols: number, tokens: number, seed: number): Float64Array {
  const normal = normalSampler(seed);
  const rank = 32;
  const f = Float32Array.from({ length: tokens * rank }, normal);
  const b = Float32Array.from({ length: rank * cols }, normal);
  const colScale = Float64Array.from({ length: cols }, () => Math.exp(normal()));
  const xt = tf.tidy(() => {
    const x = tf.matMul(tf.tensor2d(f, [tokens, rank]), tf.tensor2d(b, [rank, cols]));
    return tf.transpose(x);
  });
  const values = xt.dataSync() as Float32Array;
  xt.dispose();
  const scaled = new Float32Array(cols * tokens);
  for (let j = 0; j < cols; j++) {
    for (let t = 0; t < tokens; t++) scaled[j * tokens + t] = (values[j * tokens + t] + 0.5 * normal()) * colScale[j];
  }
  const product = tf.tidy(() => {
    const xT = tf.tensor2d(scaled, [cols, tokens]);
    return tf.matMul(xT, tf.transpose(xT));
  });
  const data = product.dataSync();
  product.dispose();
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j <= i; j++) {
      const v = (data[i * cols + j] + data[j * cols + i]) / 2;
      gram[i * cols + j] = v;
      gram[j * cols + i] = v;
    }
  }
  return gram;
}

/** Σ_r δ_r·G·δ_rᵀ with the product on tfjs (float32) and the final dot products in float64. */
function reconstructionError(w: Float32Array, pruned: Float32Array, gramF32: tf.Tensor2D, rows: number, cols: number): number {
  const delta = new Float32Array(rows * cols);
  for (let p = 0; p < delta.length; p++) delta[p] = w[p] - pruned[p];
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(delta, [rows, cols]), gramF32));
  const dg = product.dataSync();
  product.dispose();
  let total = 0;
  for (let p = 0; p < delta.length; p++) total += delta[p] * dg[p];
  return total;
}

/** max over 4 random v of ‖H·UᵀU·v − v‖/‖v‖, in float64, O(n²) per vector. */
function inverseResidual(h: Float64Array, u: Float64Array, n: number, seed: number): number {
  const normal = normalSampler(seed);
  let worst = 0;
  for (let trial = 0; trial < 4; trial++) {
    const v = Float64Array.from({ length: n }, normal);
    const uv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = i; j < n; j++) s += u[i * n + j] * v[j];
      uv[i] = s;
    }
    const utuv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = uv[i];
      for (let j = i; j < n; j++) utuv[j] += u[i * n + j] * x;
    }
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += h[i * n + j] * utuv[j];
      num += (s - v[i]) ** 2;
      den += v[i] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(num / den));
  }
  return worst;
}

/**
 * Runs `runSparseGPT` on a random 7B-shaped layer slice twice — float64 TypeScript (`matmul: 'plain'`, the path
 * before the blocked linear algebra) and float32 products on tfjs (`matmul: 'tfjs'`) — and compares masks,
 * reconstruction errors and the two Hessian inverses. Slow at 11008 columns (the float64 inverse alone ~300 s here).
 */
export async function checkSparseGPTAccuracy(options: SparseGPTAccuracyOptions): Promise<SparseGPTAccuracyReport> {
  const { cols } = options;
  const rows = options.rows ?? 256;
  const tokens = options.tokens ?? 2048;
  const pattern = options.pattern ?? { kind: 'nm', n: 2, m: 4 };
  const seed = options.seed ?? 1;
  for (const [name, v] of [
    ['cols', cols],
    ['rows', rows],
    ['tokens', tokens],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name}: expected a positive integer, got ${v}`);
  }
  await ensureBackend();
  const gram = activationGram(cols, tokens, seed + cols);
  const normal = normalSampler(seed * 31 + cols);
  const weight = Float32Array.from({ length: rows * cols }, () => 0.02 * normal());
  const common = { weight, shape: [rows, cols] as [number, number], gram, tokens, pattern };
  let started = performance.now();
  const plain = runSparseGPT({ ...common, matmul: 'plain' });
  const msFloat64 = performance.now() - started;
  started = performance.now();
  const f32 = runSparseGPT({ ...common, matmul: 'tfjs' });
  const msFloat32 = performance.now() - started;
  let same = 0;
  for (let p = 0; p < plain.mask.length; p++) if (plain.mask[p] === f32.mask[p]) same++;
  const gramF32 = tf.tensor2d(Float32Array.from(gram), [cols, cols]);
  let errorFloat64: number;
  let errorFloat32: number;
  try {
    errorFloat64 = reconstructionError(weight, plain.weight, gramF32, rows, cols);
    errorFloat32 = reconstructionError(weight, f32.weight, gramF32, rows, cols);
  } finally {
    gramF32.dispose();
  }
  // The damped H both runs factored (same damping: no retries on a Gram with 1% damping).
  const h = new Float64Array(cols * cols);
  for (let p = 0; p < h.length; p++) h[p] = (2 * gram[p]) / tokens;
  for (let j = 0; j < cols; j++) h[j * cols + j] += plain.dampUsed;
  const residual = (u: Float64Array) => inverseResidual(h, u, cols, seed + 5);
  const inverseResidualFloat32 = residual(upperCholeskyOfInverseBlocked(h, cols));
  const inverseResidualFloat64 = cols <= 4096 ? residual(upperCholeskyOfInverse(h, cols)) : Number.NaN;
  return {
    case: `sparsegpt ${formatSparsity(pattern)} ${rows}×${cols}, Gram of ${tokens} random correlated activations`,
    maskAgreement: same / plain.mask.length,
    errorFloat64,
    errorFloat32,
    errorRatioMinusOne: errorFloat32 / errorFloat64 - 1,
    msFloat64,
    msFloat32,
    inverseResidualFloat64,
    inverseResidualFloat32,
  };
}
