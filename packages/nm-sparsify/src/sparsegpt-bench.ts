// Timing of SparseGPT at LLaMA-7B sizes (q/k/v/o/gate/up: 4096×4096 and 11008×4096) on random data.
import { ensureBackend, tf } from '@dass/tensor-backend';
import { upperCholeskyOfInverse } from './linalg.js';
import { runSparseGPT, type SparseGPTMatmul } from './sparsegpt.js';
import { formatSparsity, type SparsityPattern } from './sparsity-pattern.js';

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
  seed?: number;
}

export interface SparseGPTBenchRow {
  case: string;
  ms: number;
}

const DEFAULT_CASES: SparseGPTBenchCase[] = [
  { rows: 4096, cols: 4096 },
  { rows: 11008, cols: 4096 },
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
 * Times `upperCholeskyOfInverse` once per Gram order and `runSparseGPT` once per case (random normal weights).
 * Returns one row per timing, e.g. `{ case: 'sparsegpt 2:4 11008×4096 (tfjs)', ms }`.
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
  const rows: SparseGPTBenchRow[] = [];
  const grams = new Map<number, Float64Array>();
  for (const { cols } of cases) {
    if (grams.has(cols)) continue;
    const gram = randomGram(cols, tokens, seed + cols);
    grams.set(cols, gram);
    const started = performance.now();
    upperCholeskyOfInverse(gram, cols);
    rows.push({ case: `upperCholeskyOfInverse ${cols}`, ms: performance.now() - started });
  }
  for (const [index, { rows: r, cols }] of cases.entries()) {
    const normal = normalSampler(seed * 7919 + index);
    const weight = new Float32Array(r * cols);
    for (let p = 0; p < weight.length; p++) weight[p] = 0.02 * normal();
    const started = performance.now();
    const result = runSparseGPT({ weight, shape: [r, cols], gram: grams.get(cols)!, tokens, pattern, matmul: options.matmul ?? 'auto' });
    rows.push({ case: `sparsegpt ${formatSparsity(pattern)} ${r}×${cols} (${result.matmul})`, ms: performance.now() - started });
  }
  return rows;
}
