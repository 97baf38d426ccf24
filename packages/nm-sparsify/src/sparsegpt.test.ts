import { ensureBackend } from '@dass/tensor-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkNM } from './check-nm.js';
import { choleskyInverse, choleskyLower } from './linalg.js';
import { selectNMMask } from './nm-mask.js';
import { blockedTuning } from './linalg-blocked.js';
import { runSparseGPT, sweepTuning, type SparseGPTOptions } from './sparsegpt.js';
import type { SparsityPattern } from './sparsity-pattern.js';
import { referenceGroupMask } from './test-support/reference-mask.js';
import { seededRandom } from './test-support/seeded-random.js';
import { selectUnstructuredMask } from './unstructured-mask.js';
import { reconstructionError } from './test-support/dense-reference.js';

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

interface Layer {
  weight: Float32Array;
  rows: number;
  cols: number;
  tokens: number;
  /** XᵀX, float64. */
  gram: Float64Array;
  /** Σ_t X_tj². */
  sumSq: Float64Array;
}

/**
 * A random layer whose inputs have correlated columns of unequal scale: X = F·B + 0.5·noise (F: tokens × 16 latent
 * factors), column j scaled by e^{u_j}, u_j uniform in [−1, 1). Correlation is what lets OBS updates help.
 */
function randomLayer(rows: number, cols: number, tokens: number, seed: number, zeroCols: number[] = []): Layer {
  const normal = gaussian(seededRandom(seed));
  const rank = 16;
  const loadings = Float64Array.from({ length: rank * cols }, normal);
  const colScale = new Float64Array(cols);
  const scaleRand = seededRandom(seed + 2);
  for (let j = 0; j < cols; j++) colScale[j] = Math.exp(2 * scaleRand() - 1);
  for (const j of zeroCols) colScale[j] = 0;
  const gram = new Float64Array(cols * cols);
  const sumSq = new Float64Array(cols);
  const x = new Float64Array(cols);
  const f = new Float64Array(rank);
  for (let t = 0; t < tokens; t++) {
    for (let k = 0; k < rank; k++) f[k] = normal();
    for (let j = 0; j < cols; j++) {
      let v = 0.5 * normal();
      for (let k = 0; k < rank; k++) v += f[k] * loadings[k * cols + j];
      x[j] = v * colScale[j];
    }
    for (let i = 0; i < cols; i++) {
      const xi = x[i];
      sumSq[i] += xi * xi;
      for (let j = 0; j < cols; j++) gram[i * cols + j] += xi * x[j];
    }
  }
  const weight = Float32Array.from({ length: rows * cols }, normal);
  return { weight, rows, cols, tokens, gram, sumSq };
}

function masked(weight: Float32Array, mask: Uint8Array): Float32Array {
  return weight.map((v, i) => (mask[i] ? 0 : v));
}

/** Wanda (|W|·‖X_j‖, per row or N:M along 'in') and magnitude (|W|, whole matrix or N:M) masks, no update. */
function baselineMask(layer: Layer, pattern: SparsityPattern, method: 'wanda' | 'magnitude'): Uint8Array {
  const { rows, cols, weight, sumSq } = layer;
  const scores = new Float64Array(rows * cols);
  for (let p = 0; p < scores.length; p++) {
    scores[p] = Math.abs(weight[p]) * (method === 'wanda' ? Math.sqrt(sumSq[p % cols]) : 1);
  }
  if (pattern.kind === 'nm') return selectNMMask(scores, [rows, cols], pattern.n, pattern.m, 'in').mask;
  return selectUnstructuredMask(scores, [rows, cols], pattern.ratio, method === 'wanda' ? 'row' : 'matrix');
}

/**
 * A literal transliteration of `fasterprune` over full matrices, independent of runSparseGPT's blocking, packing and
 * kernels: Hinv via cholesky → cholesky_inverse → cholesky(upper), masks by full sorts on (score, index).
 */
function referenceSparseGPT(
  layer: Layer,
  pattern: SparsityPattern,
  blocksize: number,
  percdamp: number,
): { weight: Float64Array; mask: Uint8Array; loss: number } {
  const { rows, cols, tokens } = layer;
  const h = layer.gram.map((v) => (2 * v) / tokens);
  const w = Float64Array.from(layer.weight);
  for (let j = 0; j < cols; j++) {
    if (h[j * cols + j] !== 0) continue;
    h[j * cols + j] = 1;
    for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
  }
  let mean = 0;
  for (let j = 0; j < cols; j++) mean += h[j * cols + j] / cols;
  for (let j = 0; j < cols; j++) h[j * cols + j] += percdamp * mean;
  const lowerOfInverse = choleskyLower(choleskyInverse(h, cols), cols);
  const hinv = (i: number, j: number) => lowerOfInverse[j * cols + i]; // upper factor = transpose
  const mask = new Uint8Array(rows * cols);
  let loss = 0;
  for (let i1 = 0; i1 < cols; i1 += blocksize) {
    const i2 = Math.min(i1 + blocksize, cols);
    const count = i2 - i1;
    const err = new Float64Array(rows * count);
    if (pattern.kind === 'unstructured') {
      const scores = new Float64Array(rows * count);
      for (let r = 0; r < rows; r++) for (let c = 0; c < count; c++) scores[r * count + c] = (w[r * cols + i1 + c] / hinv(i1 + c, i1 + c)) ** 2;
      const blockMask = new Uint8Array(rows * count);
      referenceGroupMask(scores, [...scores.keys()], Math.floor(rows * count * pattern.ratio), blockMask);
      for (let r = 0; r < rows; r++) for (let c = 0; c < count; c++) mask[r * cols + i1 + c] = blockMask[r * count + c];
    }
    for (let i = 0; i < count; i++) {
      const col = i1 + i;
      const d = hinv(col, col);
      if (pattern.kind === 'nm' && i % pattern.m === 0) {
        for (let r = 0; r < rows; r++) {
          const group = Array.from({ length: pattern.m }, (_, c) => col + c);
          group.sort((a, b) => (w[r * cols + a] / hinv(a, a)) ** 2 - (w[r * cols + b] / hinv(b, b)) ** 2 || a - b);
          for (let t = 0; t < pattern.n; t++) mask[r * cols + group[t]] = 1;
        }
      }
      for (let r = 0; r < rows; r++) {
        const q = mask[r * cols + col] ? 0 : w[r * cols + col];
        const e = (w[r * cols + col] - q) / d;
        loss += (e * e) / 2;
        err[r * count + i] = e;
        for (let j = col; j < i2; j++) w[r * cols + j] -= e * hinv(col, j);
        w[r * cols + col] = q;
      }
    }
    for (let r = 0; r < rows; r++) {
      for (let j = i2; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < count; i++) s += err[r * count + i] * hinv(i1 + i, j);
        w[r * cols + j] -= s;
      }
    }
  }
  return { weight: w, mask, loss };
}

function options(layer: Layer, pattern: SparsityPattern, extra: Partial<SparseGPTOptions> = {}): SparseGPTOptions {
  return { weight: layer.weight, shape: [layer.rows, layer.cols], gram: layer.gram, tokens: layer.tokens, pattern, matmul: 'plain', ...extra };
}

function countNonPositiveZeros(a: Float32Array): number {
  let c = 0;
  for (const v of a) if (v === 0 && Object.is(v, -0)) c++;
  return c;
}

const UNSTRUCTURED_50: SparsityPattern = { kind: 'unstructured', ratio: 0.5 };
const NM_2_4: SparsityPattern = { kind: 'nm', n: 2, m: 4 };
const NM_4_8: SparsityPattern = { kind: 'nm', n: 4, m: 8 };

describe('runSparseGPT: hand-worked', () => {
  it('prunes the lower-saliency weight of a 1×2 layer and compensates the other', () => {
    // tokens 2 ⇒ H = gram = [[2, 1], [1, 2]], no damping. H⁻¹ = [[2, −1], [−1, 2]]/3; its upper Cholesky factor has
    // U00 = √(2/3), U01 = −1/(3·√(2/3)), U11 = √(1/2). Saliencies: 1²/(2/3) = 1.5 and 2²/(1/2) = 8 ⇒ prune w0.
    // err = 1/U00; w1 −= err·U01 = 2 + 1/(3·2/3) = 2.5. Loss = 1.5/2 = 0.75 = ½·δHδᵀ with δ = [−1, 0.5].
    const result = runSparseGPT({
      weight: Float32Array.of(1, 2),
      shape: [1, 2],
      gram: Float64Array.of(2, 1, 1, 2),
      tokens: 2,
      pattern: UNSTRUCTURED_50,
      percdamp: 0,
    });
    expect(Array.from(result.mask)).toEqual([1, 0]);
    expect(result.weight[0]).toBe(0);
    expect(result.weight[1]).toBeCloseTo(2.5, 6);
    expect(result.error).toBeCloseTo(0.75, 12);
    expect(result).toMatchObject({ dampUsed: 0, retries: 0, deadColumns: 0, matmul: 'plain' });
  });
});

describe('runSparseGPT on a random layer (64×256, 1024 tokens, correlated inputs)', () => {
  const layer = randomLayer(64, 256, 1024, 1);
  const { rows, cols } = layer;

  it.each([
    ['0.5 unstructured', UNSTRUCTURED_50],
    ['2:4', NM_2_4],
    ['4:8', NM_4_8],
  ] as const)('%s: reconstructs better than Wanda and magnitude masks', (_label, pattern) => {
    const result = runSparseGPT(options(layer, pattern));
    const sparsegpt = reconstructionError(layer.weight, result.weight, layer.gram, rows, cols);
    const wanda = reconstructionError(layer.weight, masked(layer.weight, baselineMask(layer, pattern, 'wanda')), layer.gram, rows, cols);
    const magnitude = reconstructionError(layer.weight, masked(layer.weight, baselineMask(layer, pattern, 'magnitude')), layer.gram, rows, cols);
    expect(sparsegpt).toBeLessThan(wanda);
    expect(sparsegpt).toBeLessThan(magnitude);
    // The reported loss is in units of H = 2·XᵀX/tokens; with damping it bounds the true loss from above.
    expect(sparsegpt / layer.tokens).toBeLessThanOrEqual(result.error * (1 + 1e-9));
  });

  it('unstructured: exactly floor(numel·ratio) pruned in every block, pruned weights are +0.0', () => {
    for (const [ratio, blocksize] of [
      [0.5, 128],
      [0.3, 64],
      [0.7, 100],
    ] as const) {
      const result = runSparseGPT(options(layer, { kind: 'unstructured', ratio }, { blocksize }));
      for (let i1 = 0; i1 < cols; i1 += blocksize) {
        const count = Math.min(blocksize, cols - i1);
        let pruned = 0;
        for (let r = 0; r < rows; r++) for (let c = i1; c < i1 + count; c++) pruned += result.mask[r * cols + c];
        expect(pruned, `block at ${i1}, ratio ${ratio}`).toBe(Math.floor(rows * count * ratio));
      }
      let wrong = 0;
      for (let p = 0; p < result.mask.length; p++) if (result.mask[p] === 1 && !Object.is(result.weight[p], 0)) wrong++;
      expect(wrong).toBe(0);
      expect(countNonPositiveZeros(result.weight)).toBe(0);
    }
  });

  it.each([
    ['2:4', NM_2_4],
    ['4:8', NM_4_8],
    ['1:4', { kind: 'nm', n: 1, m: 4 } as SparsityPattern],
  ] as const)('%s: exactly N pruned in every group of M columns, and the weights satisfy checkNM', (_label, pattern) => {
    if (pattern.kind !== 'nm') throw new Error('unreachable');
    const result = runSparseGPT(options(layer, pattern));
    let badGroups = 0;
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < cols; g += pattern.m) {
        let pruned = 0;
        for (let c = g; c < g + pattern.m; c++) pruned += result.mask[r * cols + c];
        if (pruned !== pattern.n) badGroups++;
      }
    }
    expect(badGroups).toBe(0);
    expect(checkNM(result.weight, [rows, cols], pattern.n, pattern.m, 'in').valid).toBe(true);
    for (let p = 0; p < result.mask.length; p++) if (result.mask[p]) expect(Object.is(result.weight[p], 0)).toBe(true);
  });

  it.each([
    ['0.5 unstructured', UNSTRUCTURED_50, 128],
    ['0.4 unstructured, uneven last block', { kind: 'unstructured', ratio: 0.4 } as SparsityPattern, 96],
    ['2:4', NM_2_4, 128],
    ['4:8, blocks of 32', NM_4_8, 32],
  ] as const)('%s: same mask and weights as a literal transliteration of fasterprune', (_label, pattern, blocksize) => {
    const small = randomLayer(16, 160, 256, 5);
    const ref = referenceSparseGPT(small, pattern, blocksize, 0.01);
    const result = runSparseGPT(options(small, pattern, { blocksize }));
    let maskDiff = 0;
    for (let p = 0; p < ref.mask.length; p++) if (ref.mask[p] !== result.mask[p]) maskDiff++;
    expect(maskDiff).toBe(0);
    let worst = 0;
    for (let p = 0; p < ref.weight.length; p++)
      worst = Math.max(worst, Math.abs(Math.fround(ref.weight[p]) - result.weight[p]) / (1 + Math.abs(ref.weight[p])));
    expect(worst).toBeLessThan(1e-6);
    expect(result.error).toBeCloseTo(ref.loss, 8);
  });

  it('reports the OBS loss exactly: error = ½·Σ_r δ_r·(H + damp·I)·δ_rᵀ', () => {
    // Each OBS step's loss increment is exact for the quadratic, so the sum equals the final quadratic loss
    // under the damped Hessian the sweep used (checked in float64 on the plain path).
    for (const pattern of [UNSTRUCTURED_50, NM_2_4]) {
      const result = runSparseGPT(options(layer, pattern, { percdamp: 0.05 }));
      let quad = 0;
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < cols; i++) {
          const di = layer.weight[r * cols + i] - result.weight[r * cols + i];
          if (di === 0) continue;
          let s = result.dampUsed * di;
          for (let j = 0; j < cols; j++) s += ((2 * layer.gram[i * cols + j]) / layer.tokens) * (layer.weight[r * cols + j] - result.weight[r * cols + j]);
          quad += di * s;
        }
      }
      // Only float32 rounding of the returned weights separates the two.
      expect(Math.abs(quad / 2 - result.error) / result.error).toBeLessThan(1e-5);
    }
  });
});

describe('runSparseGPT on the tfjs path', () => {
  beforeAll(async () => {
    await ensureBackend();
  });

  it('agrees with the plain path (float32 lazy updates vs float64)', () => {
    const layer = randomLayer(96, 256, 512, 9);
    for (const pattern of [UNSTRUCTURED_50, NM_2_4]) {
      const plain = runSparseGPT(options(layer, pattern, { matmul: 'plain', blocksize: 64 }));
      const viaTfjs = runSparseGPT(options(layer, pattern, { matmul: 'tfjs', blocksize: 64 }));
      expect(viaTfjs.matmul).toBe('tfjs');
      let maskDiff = 0;
      let worst = 0;
      for (let p = 0; p < plain.mask.length; p++) {
        if (plain.mask[p] !== viaTfjs.mask[p]) maskDiff++;
        else worst = Math.max(worst, Math.abs(plain.weight[p] - viaTfjs.weight[p]));
      }
      // A near-tie may flip under float32 rounding; the outcome must still be essentially the same.
      expect(maskDiff / plain.mask.length).toBeLessThan(1e-3);
      expect(Math.abs(viaTfjs.error - plain.error) / plain.error).toBeLessThan(1e-3);
      if (maskDiff === 0) expect(worst).toBeLessThan(1e-3);
      expect(countNonPositiveZeros(viaTfjs.weight)).toBe(0);
    }
  });

  it('retries with more damping on the blocked path too, rebuilding H, and ends where the float64 path ends', () => {
    const saved = { ...blockedTuning };
    const savedSweep = { ...sweepTuning };
    // Leaves of 16: the 96-column Hessian runs the blocked products; superblocks of 32 columns cross boundaries.
    Object.assign(blockedTuning, { leaf: 16, trmmLeaf: 32 });
    Object.assign(sweepTuning, { superblock: 32 });
    try {
      const layer = randomLayer(40, 96, 256, 77);
      const { cols, gram } = layer;
      // Shrink the diagonal by 30%: G − 0.3·diag(G) is indefinite (with 16 latent factors the columns are strongly
      // correlated: the correlation matrix has eigenvalues far below 0.3), so SparseGPT must add damping and retry.
      const shifted = Float64Array.from(gram);
      for (let j = 0; j < cols; j++) shifted[j * cols + j] *= 0.7;
      const base = { ...options(layer, NM_2_4, { blocksize: 16 }), gram: shifted };
      const plain = runSparseGPT({ ...base, matmul: 'plain' });
      const viaTfjs = runSparseGPT({ ...base, matmul: 'tfjs' });
      expect(plain.retries).toBeGreaterThan(0);
      expect(viaTfjs.retries).toBe(plain.retries);
      expect(viaTfjs.dampUsed).toBe(plain.dampUsed);
      expect(viaTfjs.weight.every(Number.isFinite)).toBe(true);
      let diff = 0;
      for (let p = 0; p < plain.mask.length; p++) if (plain.mask[p] !== viaTfjs.mask[p]) diff++;
      expect(diff / plain.mask.length).toBeLessThan(1e-3);
      // The 2×2 indefinite "Gram" of the plain-path test: the same 3 retries (leaf path, refilled each time).
      const tiny = runSparseGPT({
        weight: Float32Array.of(1, 2),
        shape: [1, 2],
        gram: Float64Array.of(1, 2, 2, 1),
        tokens: 2,
        pattern: UNSTRUCTURED_50,
        matmul: 'tfjs',
      });
      expect(tiny.retries).toBe(3);
      expect(tiny.dampUsed).toBeCloseTo(10, 12);
    } finally {
      Object.assign(blockedTuning, saved);
      Object.assign(sweepTuning, savedSweep);
    }
  });
});

describe('runSparseGPT on degenerate statistics', () => {
  it('handles dead and duplicated columns and a rank-deficient Gram without NaN', () => {
    // 24 tokens for 64 columns: rank ≤ 24. Columns 3, 10, 40 never fire; column 21 duplicates column 20.
    const layer = randomLayer(8, 64, 24, 21, [3, 10, 40]);
    const { cols, gram } = layer;
    for (let k = 0; k < cols; k++) {
      gram[21 * cols + k] = gram[20 * cols + k];
      gram[k * cols + 21] = gram[k * cols + 20];
    }
    gram[21 * cols + 21] = gram[20 * cols + 20];
    for (const pattern of [UNSTRUCTURED_50, NM_2_4]) {
      const result = runSparseGPT(options(layer, pattern));
      expect(result.deadColumns).toBe(3);
      expect(result.weight.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(result.error)).toBe(true);
      for (let r = 0; r < layer.rows; r++) for (const j of [3, 10, 40]) expect(Object.is(result.weight[r * cols + j], 0)).toBe(true);
      if (pattern.kind === 'nm') expect(checkNM(result.weight, [layer.rows, cols], 2, 4, 'in').valid).toBe(true);
    }
  });

  it('handles an all-zero Gram (every column dead)', () => {
    const result = runSparseGPT({ weight: Float32Array.of(1, -2, 3, -4), shape: [1, 4], gram: new Float64Array(16), tokens: 5, pattern: NM_2_4 });
    expect(result.deadColumns).toBe(4);
    expect(Array.from(result.weight)).toEqual([0, 0, 0, 0]);
    expect(result.mask.reduce((a, b) => a + b, 0)).toBe(2);
    expect(result.error).toBe(0);
  });

  it('retries with 10x damping until the Cholesky factorization succeeds', () => {
    // "Gram" [[1, 2], [2, 1]] (eigenvalues 3 and −1), tokens 2 ⇒ H = gram, mean(diag) = 1: damping 0.01, 0.1 and 1
    // leave a pivot ≤ 0 (at damping 1 exactly 0); 10 works: retries = 3.
    const result = runSparseGPT({ weight: Float32Array.of(1, 2), shape: [1, 2], gram: Float64Array.of(1, 2, 2, 1), tokens: 2, pattern: UNSTRUCTURED_50 });
    expect(result.retries).toBe(3);
    expect(result.percdampUsed).toBeCloseTo(10, 12);
    expect(result.dampUsed).toBeCloseTo(10, 12);
    expect(result.weight.every(Number.isFinite)).toBe(true);
  });

  it('throws a clear error naming the matrix size when damping never helps', () => {
    const run = () =>
      runSparseGPT({
        weight: Float32Array.of(1, 2),
        shape: [1, 2],
        gram: Float64Array.of(1, 1e6, 1e6, 1),
        tokens: 2,
        pattern: UNSTRUCTURED_50,
        name: 'model.layers.0.mlp.up_proj',
      });
    expect(run).toThrow(
      /^model\.layers\.0\.mlp\.up_proj \[1, 2\]: SparseGPT failed: the damped 2×2 Hessian is not usable even with damping 100·mean\(diag H\) after 4 retries \(pivot 0 was -/,
    );
  });
});

describe('runSparseGPT: partial groups and validation', () => {
  const layer = randomLayer(4, 10, 64, 31);
  const base = options(layer, NM_2_4, { blocksize: 4 });

  it('N:M with a tail: an error by default, a dense tail on request', () => {
    expect(() => runSparseGPT(base)).toThrow('weight [4, 10]: input dimension 10 is not divisible by M=4');
    const result = runSparseGPT({ ...base, partialGroups: 'dense' });
    expect(result.denseTailWeights).toBe(8);
    for (let r = 0; r < 4; r++) {
      expect(result.mask[r * 10 + 8] + result.mask[r * 10 + 9]).toBe(0);
      for (let g = 0; g < 8; g += 4) expect(result.mask.subarray(r * 10 + g, r * 10 + g + 4).reduce((a, b) => a + b, 0)).toBe(2);
    }
  });

  it('names the bad argument', () => {
    const ok = options(layer, UNSTRUCTURED_50);
    expect(() => runSparseGPT({ ...ok, weight: new Float32Array(39) })).toThrow('weight: length 39 does not match shape [4, 10] (40 elements)');
    expect(() => runSparseGPT({ ...ok, weight: new Float64Array(40) as unknown as Float32Array })).toThrow('weight: expected a Float32Array, got Float64Array');
    const nanWeight = Float32Array.from(layer.weight);
    nanWeight[13] = NaN;
    expect(() => runSparseGPT({ ...ok, weight: nanWeight })).toThrow('weight: weight [1, 3] is NaN');
    expect(() => runSparseGPT({ ...ok, shape: [4, 0] })).toThrow('shape: expected [rows, cols] of positive integers, got [4,0]');
    expect(() => runSparseGPT({ ...ok, gram: new Float64Array(99) })).toThrow('gram: expected 10×10 = 100 entries (cols of weight [4, 10]), got 99');
    const asymmetric = Float64Array.from(layer.gram);
    asymmetric[1] += 1e3;
    expect(() => runSparseGPT({ ...ok, gram: asymmetric })).toThrow('gram: not symmetric: (1, 0)');
    const negative = Float64Array.from(layer.gram);
    negative[22] = -1;
    expect(() => runSparseGPT({ ...ok, gram: negative })).toThrow('gram: diagonal entry 2 is -1');
    expect(() => runSparseGPT({ ...ok, tokens: 0 })).toThrow('tokens: expected a positive number of calibration tokens, got 0');
    expect(() => runSparseGPT({ ...ok, pattern: { kind: 'unstructured', ratio: 1 } })).toThrow('sparsity: expected a ratio in [0, 1)');
    expect(() => runSparseGPT({ ...ok, pattern: { kind: 'nm', n: 4, m: 4 } })).toThrow(
      'sparsity: expected a ratio in [0, 1) or "N:M" with integers 1 <= N < M',
    );
    expect(() => runSparseGPT({ ...ok, pattern: { kind: 'block' } as unknown as SparsityPattern })).toThrow(
      "pattern: expected {kind: 'unstructured', ratio} or {kind: 'nm', n, m}",
    );
    expect(() => runSparseGPT({ ...ok, blocksize: 0 })).toThrow('blocksize: expected a positive integer, got 0');
    expect(() => runSparseGPT({ ...ok, pattern: NM_2_4, blocksize: 6, partialGroups: 'dense' })).toThrow('blocksize: 6 is not a multiple of M=4');
    expect(() => runSparseGPT({ ...ok, percdamp: -0.1 })).toThrow('percdamp: expected a finite number >= 0, got -0.1');
    expect(() => runSparseGPT({ ...ok, matmul: 'gpu' as 'auto' })).toThrow('matmul: expected one of auto, tfjs, plain, got "gpu"');
    expect(() => runSparseGPT({ ...ok, maxRetries: -1 })).toThrow('maxRetries: expected an integer >= 0, got -1');
  });

  it('does not modify its inputs', () => {
    const weight = Float32Array.from(layer.weight);
    const gram = Float64Array.from(layer.gram);
    runSparseGPT({ ...options(layer, UNSTRUCTURED_50), weight, gram });
    expect(weight).toEqual(layer.weight);
    expect(gram).toEqual(layer.gram);
  });
});

describe('runSparseGPT with a fixed mask (--update obs)', () => {
  it('prunes exactly the given mask (N:M along out too), keeps dead-column weights, and lowers the error below masking', () => {
    const layer = randomLayer(16, 24, 200, 41, [5]);
    const { rows, cols } = layer;
    // an output-axis 2:4 mask (DaSS's gate/up axis) from magnitudes: groups of 4 rows per column
    const mask = selectNMMask(Float64Array.from(layer.weight, Math.abs), [rows, cols], 2, 4, 'out').mask;
    const result = runSparseGPT({ weight: layer.weight, shape: [rows, cols], gram: layer.gram, tokens: layer.tokens, mask, blocksize: 8, matmul: 'plain' });
    for (let p = 0; p < mask.length; p++) expect(result.weight[p] === 0).toBe(mask[p] === 1);
    expect(Array.from(result.mask)).toEqual(Array.from(mask));
    expect(checkNM(result.weight, [rows, cols], 2, 4, 'out').valid).toBe(true);
    expect(result.deadColumns).toBe(1);
    for (let r = 0; r < rows; r++) if (!mask[r * cols + 5]) expect(result.weight[r * cols + 5]).toBe(layer.weight[r * cols + 5]);
    expect(reconstructionError(layer.weight, result.weight, layer.gram, rows, cols)).toBeLessThan(
      reconstructionError(layer.weight, masked(layer.weight, mask), layer.gram, rows, cols),
    );
  });

  it('checks the mask: type, length, 0/1 entries', () => {
    const layer = randomLayer(4, 8, 40, 3);
    const base = { weight: layer.weight, shape: [4, 8] as const, gram: layer.gram, tokens: 40 };
    expect(() => runSparseGPT({ ...base, mask: new Float32Array(32) as never })).toThrow('mask: expected a Uint8Array of 4×8 (1 = prune), got Float32Array');
    expect(() => runSparseGPT({ ...base, mask: new Uint8Array(31), name: 'm' })).toThrow('mask: expected 32 entries for m [4, 8], got 31');
    expect(() => runSparseGPT({ ...base, mask: new Uint8Array(32).fill(2) })).toThrow('mask: entry (0, 0) is 2; expected 0 (keep) or 1 (prune)');
  });
});
