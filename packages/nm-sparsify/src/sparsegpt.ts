// SparseGPT (Frantar & Alistarh 2023), the `fasterprune` of IST-DASLab/sparsegpt (also vendored by Wanda):
// OBS pruning with weight updates, sweeping column blocks left to right with the upper Cholesky factor of H⁻¹.
import { canReadSync, currentBackend } from '@dass/tensor-backend';
import { subtractProductNT } from './linalg-kernels.js';
import { multiplyF32, releaseScratch, upperCholeskyOfInverseBlockedInPlace } from './linalg-blocked.js';
import { sharedFloat32Array, sharedFloat64Array } from './linalg-active.js';
import { NotPositiveDefiniteError, upperCholeskyOfInverse } from './linalg.js';
import type { MatrixShape, PartialGroups } from './mask-types.js';
import { validateMatrix } from './matrix-shape.js';
import { nmGroupLayout } from './nm-mask.js';
import { markSmallest } from './select-smallest.js';
import { nmPattern, unstructured, type SparsityPattern } from './sparsity-pattern.js';
import { prunedPerGroup } from './unstructured-mask.js';
import { DassError, InvalidArgumentError } from '@dass/errors';

/**
 * Where SparseGPT's O(n³) linear algebra runs. `tfjs`: float32 matrix products on the active tfjs backend — the
 * blocked Cholesky / triangular inverse of H (float64 diagonal blocks, linalg-blocked.ts) and the sweep's lazy
 * updates — as the reference `fasterprune` (float32 throughout). `plain`: float64 TypeScript throughout (linalg.ts and
 * the typed kernel), the reference path the tfjs one is tested against. `auto`: see SparseGPTOptions.matmul.
 */
export type SparseGPTMatmul = 'auto' | 'tfjs' | 'plain';

export interface SparseGPTOptions {
  /** Dense weight `[rows, cols]` (`[out, in]`), row-major. Not modified. */
  weight: Float32Array;
  shape: MatrixShape;
  /** XᵀX over the calibration tokens entering this linear, `cols×cols` (summed, not averaged). */
  gram: Float64Array | Float32Array;
  /** Number of token rows summed into `gram`. */
  tokens: number;
  /** What to prune; ignored (may be omitted) when `mask` is given. */
  pattern?: SparsityPattern;
  /**
   * A fixed mask (1 = prune, row-major like `weight`) instead of SparseGPT's own selection: the sweep prunes exactly
   * these weights and applies the same OBS update to the kept ones (Wanda's `ablate_*` / RIA's `--reconstruction`).
   * Any mask works, including N:M groups along the output axis. Dead columns keep their weights (their input is
   * always zero, so the value does not matter and the zeros stay exactly the mask's).
   */
  mask?: Uint8Array;
  /** Columns per OBS block (the unstructured mask is chosen per block). Default 128. */
  blocksize?: number;
  /** Diagonal damping as a fraction of mean(diag H). Default 0.01. */
  percdamp?: number;
  /** N:M only, when cols is not a multiple of M: refuse (default) or keep the incomplete tail group dense. */
  partialGroups?: PartialGroups;
  /**
   * `auto` (default): tfjs when a non-`cpu` tfjs backend is already active (`ensureBackend()`/`selectBackend()`)
   * and the layer is big enough to pay for the copies (rows·cols² ≥ 2²⁷); plain float64 TypeScript otherwise.
   * `plain` forces the float64 path (slow at 7B sizes: ~300 s for an 11008-column Hessian), `tfjs` the float32 one.
   */
  matmul?: SparseGPTMatmul;
  /** Damping retries (×10 each) when the damped Hessian is not positive definite. Default 4. */
  maxRetries?: number;
  /** Labels the matrix in error messages. */
  name?: string;
}

export interface SparseGPTResult {
  /** Updated weight; pruned entries are exactly +0.0. */
  weight: Float32Array;
  /** 1 = pruned, row-major like `weight`. */
  mask: Uint8Array;
  /** Σ of the OBS losses (w−q)²/(2·[Hinv]_jj²) over pruned weights, in the units of H = 2·XᵀX/tokens. */
  error: number;
  /** Absolute damping added to diag(H) in the successful attempt. */
  dampUsed: number;
  /** The fraction of mean(diag H) that was. */
  percdampUsed: number;
  /** Attempts beyond the first (each with 10x the damping). */
  retries: number;
  /** Columns whose inputs were all zero (H_jj = 0): zeroed, their H_jj set to 1, as the reference does. */
  deadColumns: number;
  /** N:M with partialGroups 'dense': weights in the unpruned tail group. */
  denseTailWeights: number;
  /** Where the Hessian inverse and the lazy updates ran (see SparseGPTMatmul). */
  matmul: 'tfjs' | 'plain';
}

const MATMUL_CHOICES: readonly SparseGPTMatmul[] = ['auto', 'tfjs', 'plain'];
/** Below this many lazy-update flops (rows·cols²) the copies to and from tfjs cost more than the product saves. */
const TFJS_MIN_WORK = 2 ** 27;
/**
 * Columns per superblock of the tfjs sweep (rounded down to a multiple of blocksize): the inner dimension of its big
 * products. Internal: tests shrink it so that small layers cross superblock boundaries.
 */
export const sweepTuning = { superblock: 1024 };
/** Columns of the transposed Hinv panel kept hot in L2 by the plain lazy update (128 × 128 doubles = 128 KiB). */
const PLAIN_COL_CHUNK = 128;
/** Relative asymmetry tolerated in the Gram matrix (float32 accumulation order differs between (i,j) and (j,i)). */
const SYMMETRY_TOLERANCE = 1e-3;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function validatePattern(pattern: unknown): SparsityPattern {
  const p = pattern as SparsityPattern | undefined;
  if (p?.kind === 'unstructured') return unstructured(p.ratio);
  if (p?.kind === 'nm') return nmPattern(p.n, p.m);
  throw new InvalidArgumentError('pattern', `expected {kind: 'unstructured', ratio} or {kind: 'nm', n, m}, got ${JSON.stringify(pattern)}`);
}

function validateGram(gram: unknown, cols: number, label: string): Float64Array | Float32Array {
  if (!(gram instanceof Float64Array) && !(gram instanceof Float32Array)) {
    throw new InvalidArgumentError('gram', `expected a Float64Array or Float32Array of ${cols}×${cols}, got ${describe(gram)}`);
  }
  if (gram.length !== cols * cols) {
    throw new InvalidArgumentError('gram', `expected ${cols}×${cols} = ${cols * cols} entries (cols of ${label}), got ${gram.length}`);
  }
  for (let p = 0; p < gram.length; p++) {
    if (!Number.isFinite(gram[p])) throw new InvalidArgumentError('gram', `entry (${Math.floor(p / cols)}, ${p % cols}) is ${gram[p]}`);
  }
  for (let j = 0; j < cols; j++) {
    const d = gram[j * cols + j];
    if (d < 0) throw new InvalidArgumentError('gram', `diagonal entry ${j} is ${d}; a Gram matrix XᵀX has a nonnegative diagonal`);
  }
  for (let i = 0; i < cols; i++) {
    const dii = gram[i * cols + i];
    for (let j = 0; j < i; j++) {
      const a = gram[i * cols + j];
      const b = gram[j * cols + i];
      if (Math.abs(a - b) > SYMMETRY_TOLERANCE * Math.sqrt(dii * gram[j * cols + j]) + 1e-30 && a !== b) {
        throw new InvalidArgumentError('gram', `not symmetric: (${i}, ${j}) = ${a} but (${j}, ${i}) = ${b}`);
      }
    }
  }
  return gram;
}

/**
 * Prunes one linear layer with SparseGPT and returns the updated weight. Semantics of `fasterprune`:
 * H = 2·gram/tokens; dead columns (H_jj = 0) get H_jj = 1 and W[:, j] = 0; H += percdamp·mean(diag H)·I;
 * Hinv = cholesky(H⁻¹, upper). Per block of `blocksize` columns: unstructured picks the floor(numel·ratio) lowest
 * w²/Hinv_jj² over the whole block (docs/SPEC.md §2.1's exact count; the reference's `<= sorted[k]` prunes one more), N:M picks
 * per row the N lowest of every M columns as the sweep reaches them; each pruned weight's error is spread over
 * the later columns of its row (OBS), and the block's errors are applied to all later columns at once.
 * Ties: lower index pruned first. Synchronous: tfjs (when active) runs the big products via dataSync.
 */
export function runSparseGPT(options: SparseGPTOptions): SparseGPTResult {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', `expected an object, got ${describe(options)}`);
  const label = options.name ?? 'weight';
  if (typeof label !== 'string') throw new InvalidArgumentError('name', `expected a string, got ${describe(label)}`);
  const { weight, shape } = options;
  if (!(weight instanceof Float32Array)) throw new InvalidArgumentError('weight', `expected a Float32Array, got ${describe(weight)}`);
  validateMatrix(weight, shape, 'weight');
  const rows = shape[0];
  const cols = shape[1];
  for (let p = 0; p < weight.length; p++) {
    if (!Number.isFinite(weight[p])) {
      throw new InvalidArgumentError('weight', `${label} [${Math.floor(p / cols)}, ${p % cols}] is ${weight[p]}`);
    }
  }
  const gram = validateGram(options.gram, cols, `${label} [${rows}, ${cols}]`);
  const tokens = options.tokens;
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens <= 0) {
    throw new InvalidArgumentError('tokens', `expected a positive number of calibration tokens, got ${describe(tokens)}`);
  }
  const fixedMask = options.mask === undefined ? undefined : validateFixedMask(options.mask, rows, cols, label);
  // With a fixed mask no pattern selects anything: a ratio of 0 keeps the selection code paths idle.
  const pattern = fixedMask ? unstructured(0) : validatePattern(options.pattern);
  const blocksize = options.blocksize ?? 128;
  if (!Number.isSafeInteger(blocksize) || blocksize < 1) {
    throw new InvalidArgumentError('blocksize', `expected a positive integer, got ${describe(blocksize)}`);
  }
  const percdamp = options.percdamp ?? 0.01;
  if (typeof percdamp !== 'number' || !Number.isFinite(percdamp) || percdamp < 0) {
    throw new InvalidArgumentError('percdamp', `expected a finite number >= 0, got ${describe(percdamp)}`);
  }
  const maxRetries = options.maxRetries ?? 4;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidArgumentError('maxRetries', `expected an integer >= 0, got ${describe(maxRetries)}`);
  }
  const matmulChoice = options.matmul ?? 'auto';
  if (!MATMUL_CHOICES.includes(matmulChoice)) {
    throw new InvalidArgumentError('matmul', `expected one of ${MATMUL_CHOICES.join(', ')}, got ${describe(matmulChoice)}`);
  }
  let denseTailWeights = 0;
  if (pattern.kind === 'nm') {
    if (blocksize % pattern.m !== 0) {
      throw new InvalidArgumentError('blocksize', `${blocksize} is not a multiple of M=${pattern.m}: N:M groups would straddle blocks`);
    }
    denseTailWeights = nmGroupLayout(shape, pattern.m, 'in', options.partialGroups ?? 'error', label).denseTailWeights;
  } else if (options.partialGroups !== undefined && options.partialGroups !== 'error' && options.partialGroups !== 'dense') {
    throw new InvalidArgumentError('partialGroups', `expected 'error' or 'dense', got ${describe(options.partialGroups)}`);
  }
  const matmul = chooseMatmul(matmulChoice, rows, cols);

  // H = 2·XᵀX/tokens, symmetrized from the lower triangle; dead columns isolated with H_jj = 1.
  // In shared memory when a LinalgPool is active, so that its workers can split the products (tfjs path).
  const h = matmul === 'tfjs' ? sharedFloat64Array(cols * cols) : new Float64Array(cols * cols);
  const dead = new Uint8Array(cols);
  const deadColumns = fillHessian(h, gram, cols, 2 / tokens, dead);
  const diag = new Float64Array(cols);
  let diagSum = 0;
  for (let j = 0; j < cols; j++) {
    diag[j] = h[j * cols + j];
    diagSum += diag[j];
  }
  const meanDiag = diagSum / cols;

  let pd = percdamp;
  let lastProblem = '';
  // The blocked path factors h in place: an attempt that fails afterwards needs it rebuilt.
  let hDirty = false;
  for (let retries = 0; retries <= maxRetries; retries++) {
    if (retries > 0) pd = pd > 0 ? pd * 10 : 0.01;
    const damp = pd * meanDiag;
    if (hDirty) fillHessian(h, gram, cols, 2 / tokens, dead);
    for (let j = 0; j < cols; j++) h[j * cols + j] = diag[j] + damp;
    let hinv: Float64Array;
    try {
      // Damped pivots are ≥ percdamp·mean(diag H) ≥ (percdamp/cols)·H_jj, far above cols·ε·H_jj; a pivot below that
      // means a numerically singular H whose "inverse" would wreck the weights, so it counts as a failure and retries.
      const minPivotRatio = cols * Number.EPSILON;
      if (matmul === 'tfjs') {
        hDirty = true;
        upperCholeskyOfInverseBlockedInPlace(h, cols, minPivotRatio);
        hinv = h;
      } else {
        hinv = upperCholeskyOfInverse(h, cols, { minPivotRatio });
      }
    } catch (err) {
      if (!NotPositiveDefiniteError.isInstance(err)) throw err;
      lastProblem = `pivot ${err.pivot} was ${err.value}`;
      continue;
    }
    let result: ReturnType<typeof sweep>;
    try {
      result = sweep(weight, rows, cols, dead, hinv, pattern, blocksize, matmul, fixedMask);
    } finally {
      releaseScratch();
    }
    if (result) {
      return { ...result, dampUsed: damp, percdampUsed: pd, retries, deadColumns, denseTailWeights, matmul };
    }
    lastProblem = 'the updated weights overflowed';
  }
  throw new DassError(
    'DASS_NOT_POSITIVE_DEFINITE',
    `${label} [${rows}, ${cols}]: SparseGPT failed: the damped ${cols}×${cols} Hessian is not usable ` +
      `even with damping ${pd}·mean(diag H) after ${maxRetries} retries (${lastProblem}); check the calibration Gram matrix`,
  );
}

/**
 * h ← 2·gram/tokens (`scale` = 2/tokens), symmetrized from the lower triangle of `gram`; columns with a zero
 * diagonal are marked in `dead`, decoupled (row and column cleared: a zero diagonal forces them to zero in a true
 * Gram matrix, so only float noise is dropped) and given H_jj = 1. Returns how many were dead.
 */
function fillHessian(h: Float64Array, gram: Float64Array | Float32Array, cols: number, scale: number, dead: Uint8Array): number {
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j <= i; j++) {
      const v = gram[i * cols + j] * scale;
      h[i * cols + j] = v;
      h[j * cols + i] = v;
    }
  }
  let deadColumns = 0;
  for (let j = 0; j < cols; j++) {
    if (h[j * cols + j] !== 0) continue;
    dead[j] = 1;
    deadColumns++;
    for (let k = 0; k < cols; k++) {
      h[j * cols + k] = 0;
      h[k * cols + j] = 0;
    }
    h[j * cols + j] = 1;
  }
  return deadColumns;
}

function chooseMatmul(choice: SparseGPTMatmul, rows: number, cols: number): 'tfjs' | 'plain' {
  const backend = currentBackend();
  if (choice === 'tfjs') {
    if (!backend) throw new Error(`matmul: 'tfjs' needs an active tfjs backend; await ensureBackend() first`);
    if (!canReadSync()) throw new Error(`matmul: 'tfjs' reads its products synchronously, which the ${backend.name} backend cannot; use 'plain' or 'auto'`);
    return 'tfjs';
  }
  if (choice === 'plain') return 'plain';
  // tfjs's own 'cpu' backend is plain JS without register tiling: slower than the typed kernel here; webgpu cannot
  // read synchronously in Node.
  return backend && backend.name !== 'cpu' && canReadSync() && rows * cols * cols >= TFJS_MIN_WORK ? 'tfjs' : 'plain';
}

function validateFixedMask(mask: unknown, rows: number, cols: number, label: string): Uint8Array {
  if (!(mask instanceof Uint8Array)) throw new InvalidArgumentError('mask', `expected a Uint8Array of ${rows}×${cols} (1 = prune), got ${describe(mask)}`);
  if (mask.length !== rows * cols)
    throw new InvalidArgumentError('mask', `expected ${rows * cols} entries for ${label} [${rows}, ${cols}], got ${mask.length}`);
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] > 1) throw new InvalidArgumentError('mask', `entry (${Math.floor(p / cols)}, ${p % cols}) is ${mask[p]}; expected 0 (keep) or 1 (prune)`);
  }
  return mask;
}

/** The OBS sweep. Returns undefined if the weights stopped being finite (the caller retries with more damping). */
function sweep(
  weight: Float32Array,
  rows: number,
  cols: number,
  dead: Uint8Array,
  hinv: Float64Array,
  pattern: SparsityPattern,
  blocksize: number,
  matmul: 'tfjs' | 'plain',
  fixedMask?: Uint8Array,
): Omit<SparseGPTResult, 'dampUsed' | 'percdampUsed' | 'retries' | 'deadColumns' | 'denseTailWeights' | 'matmul'> | undefined {
  // Working copy: float64 on the plain path, float32 (as the reference) when tfjs does the products.
  let w: Float32Array | Float64Array;
  if (matmul === 'plain') {
    w = Float64Array.from(weight);
  } else {
    w = sharedFloat32Array(weight.length);
    w.set(weight);
  }
  for (let j = 0; j < cols; j++) {
    if (!dead[j] || fixedMask) continue;
    for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
  }
  const mask = new Uint8Array(rows * cols);
  const bs = Math.min(blocksize, cols);
  const blk = new Float64Array(rows * bs);
  const err = matmul === 'plain' ? new Float64Array(rows * bs) : new Float32Array(rows * bs);
  const ublk = new Float64Array(bs * bs);
  const d = new Float64Array(bs);
  const blockMask = new Uint8Array(rows * bs);
  const scores = pattern.kind === 'unstructured' ? new Float64Array(rows * bs) : undefined;
  const work = pattern.kind === 'unstructured' ? new Float64Array(rows * bs) : undefined;
  const groupScores = pattern.kind === 'nm' ? new Float64Array(pattern.m) : undefined;
  let loss = 0;

  // tfjs path: blocks are grouped into superblocks of ~sweepTuning.superblock (1024) columns. Inside one, each block
  // first receives the lazy updates of the superblock's earlier blocks (one product); at its end all later columns
  // receive the whole superblock's errors at once (one product with inner dimension ~1024 instead of `blocksize`).
  // The same sums as W[:, i2:] −= Err·Hinv[i1:i2, i2:] after every block, in another order, 1/8 of the read-back.
  const superCols = matmul === 'tfjs' ? Math.max(1, Math.floor(sweepTuning.superblock / bs)) * bs : bs;
  const errSuper = matmul === 'tfjs' ? sharedFloat32Array(rows * Math.min(superCols, cols)) : undefined;
  for (let s0 = 0; s0 < cols; s0 += superCols) {
    const s1 = Math.min(s0 + superCols, cols);
    const superWidth = s1 - s0;
    for (let i1 = s0; i1 < s1; i1 += bs) {
      const i2 = Math.min(i1 + bs, s1);
      const count = i2 - i1;
      if (errSuper && i1 > s0) {
        // W[:, i1:i2] −= ErrSuper[:, s0:i1]·Hinv[s0:i1, i1:i2].
        multiplyF32(w, i1, cols, 'sub', errSuper, 0, superWidth, hinv, s0 * cols + i1, cols, false, rows, i1 - s0, count);
      }
      for (let a = 0; a < count; a++) {
        const src = (i1 + a) * cols + i1;
        for (let b = 0; b < count; b++) ublk[a * count + b] = hinv[src + b];
        d[a] = hinv[src + a];
      }
      for (let r = 0; r < rows; r++) {
        const src = r * cols + i1;
        const dst = r * count;
        for (let c = 0; c < count; c++) blk[dst + c] = w[src + c];
      }
      blockMask.fill(0, 0, rows * count);
      if (fixedMask) {
        for (let r = 0; r < rows; r++) blockMask.set(fixedMask.subarray(r * cols + i1, r * cols + i2), r * count);
      } else if (pattern.kind === 'unstructured') {
        // One threshold over the whole block (rows × count), before the in-block updates, as the reference.
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < count; c++) {
            const q = blk[r * count + c] / d[c];
            scores![r * count + c] = q * q;
          }
        }
        const k = prunedPerGroup(rows * count, pattern.ratio);
        markSmallest(scores!, 0, 1, rows * count, k, blockMask, 0, 1, work!);
      }
      // Rows are independent within a block: sweep one row at a time so its 'count' values stay in L1.
      for (let r = 0; r < rows; r++) {
        const base = r * count;
        for (let i = 0; i < count; i++) {
          if (pattern.kind === 'nm' && i % pattern.m === 0 && i + pattern.m <= count) {
            selectGroup(blk, base + i, d, i, pattern.n, pattern.m, blockMask, groupScores!);
          }
          const x = blk[base + i];
          if (blockMask[base + i] === 0 || x === 0) {
            err[base + i] = 0;
            blk[base + i] = x;
            continue;
          }
          const e = x / d[i];
          loss += e * e;
          err[base + i] = e;
          const urow = i * count;
          for (let j = i + 1; j < count; j++) blk[base + j] -= e * ublk[urow + j];
          blk[base + i] = 0;
        }
      }
      for (let r = 0; r < rows; r++) {
        const dst = r * cols + i1;
        const src = r * count;
        for (let c = 0; c < count; c++) {
          const v = blk[src + c];
          w[dst + c] = v;
          mask[dst + c] = blockMask[src + c];
        }
      }
      if (errSuper) {
        for (let r = 0; r < rows; r++) {
          const dst = r * superWidth + i1 - s0;
          const src = r * count;
          for (let c = 0; c < count; c++) errSuper[dst + c] = err[src + c];
        }
      } else if (i2 < cols) {
        lazyUpdatePlain(w as Float64Array, err as Float64Array, hinv, rows, cols, i1, i2);
      }
    }
    if (errSuper && s1 < cols) {
      // W[:, s1:] −= ErrSuper·Hinv[s0:s1, s1:].
      multiplyF32(w, s1, cols, 'sub', errSuper, 0, superWidth, hinv, s0 * cols + s1, cols, false, rows, superWidth, cols - s1);
    }
  }

  const out = new Float32Array(rows * cols);
  for (let p = 0; p < out.length; p++) {
    const v = w[p];
    if (!Number.isFinite(v)) return undefined;
    // Pruned entries (and any kept weight that rounded to −0) are written as +0.0 (docs/SPEC.md §3).
    out[p] = mask[p] === 1 || v === 0 ? 0 : v;
  }
  return { weight: out, mask, error: loss / 2 };
}

/**
 * @internal Not part of the package API (not exported from index): the OBS sweep alone with a given upper factor
 * `hinv` of H⁻¹ (no dead columns), so that accuracy studies can pair a float64 or float32 factor with either sweep.
 */
export function sweepWithFactor(
  weight: Float32Array,
  rows: number,
  cols: number,
  hinv: Float64Array,
  pattern: SparsityPattern,
  matmul: 'tfjs' | 'plain',
  blocksize = 128,
) {
  try {
    return sweep(weight, rows, cols, new Uint8Array(cols), hinv, pattern, blocksize, matmul);
  } finally {
    releaseScratch();
  }
}

/** Marks the N lowest of w²/d² over the M columns starting at blk[at] (d indexed from `col`); ties: lower column. */
function selectGroup(
  blk: Float64Array,
  at: number,
  d: Float64Array,
  col: number,
  n: number,
  m: number,
  blockMask: Uint8Array,
  groupScores: Float64Array,
): void {
  for (let c = 0; c < m; c++) {
    const q = blk[at + c] / d[col + c];
    groupScores[c] = q * q;
  }
  for (let t = 0; t < n; t++) {
    let best = -1;
    for (let c = 0; c < m; c++) {
      if (blockMask[at + c] === 1) continue;
      if (best < 0 || groupScores[c] < groupScores[best]) best = c;
    }
    blockMask[at + best] = 1;
  }
}

/** W[:, i2:] -= Err · Hinv[i1:i2, i2:], as C -= A·Bᵀ with Bᵀ = Hinv[i1:i2, i2:]ᵀ packed by rows, in column chunks. */
function lazyUpdatePlain(w: Float64Array, err: Float64Array, hinv: Float64Array, rows: number, cols: number, i1: number, i2: number): void {
  const count = i2 - i1;
  const rest = cols - i2;
  const packed = new Float64Array(Math.min(PLAIN_COL_CHUNK, rest) * count);
  for (let j0 = 0; j0 < rest; j0 += PLAIN_COL_CHUNK) {
    const nj = Math.min(PLAIN_COL_CHUNK, rest - j0);
    for (let a = 0; a < count; a++) {
      const src = (i1 + a) * cols + i2 + j0;
      for (let j = 0; j < nj; j++) packed[j * count + a] = hinv[src + j];
    }
    subtractProductNT(w, i2 + j0, cols, err, 0, count, packed, 0, count, rows, nj, count);
  }
}
