import { packBitmask, unpackBitmask } from './bitmask.js';
import type { MatrixShape } from './mask-types.js';
import { validateMatrix, validateShape } from './matrix-shape.js';
import { nmPattern } from './sparsity-pattern.js';
import { InvalidArgumentError } from '@dass/errors';

/** The compressed layout of an `in`-axis N:M matrix (2:4 is the sparse-tensor-core case). */
export interface CompressedNM {
  /** Kept values of each row in column order: `[rows, cols·(M−N)/M]`. */
  values: Float32Array;
  valuesShape: [number, number];
  /** Packed bitmask of KEPT positions (bit = 1 where a value is kept), `[rows, ceil(cols/8)]`, little bit order. */
  kept: Uint8Array;
  keptShape: [number, number];
}

/**
 * Compresses `weight` `[rows, cols]` whose `mask` (1 = pruned) prunes exactly N of every M consecutive columns.
 * Kept values are stored even when they happen to be zero; positions come from the mask, not from the values.
 */
export function compressNM(weight: Float32Array, mask: Uint8Array, shape: MatrixShape, n: number, m: number): CompressedNM {
  validateMatrix(weight, shape, 'weight');
  validateMatrix(mask, shape, 'mask');
  nmPattern(n, m);
  const [rows, cols] = shape;
  if (cols % m !== 0) throw new RangeError(`shape [${rows}, ${cols}]: ${cols} columns are not divisible by M=${m}`);
  const keptPerRow = (cols / m) * (m - n);
  const values = new Float32Array(rows * keptPerRow);
  const keptMask = new Uint8Array(rows * cols);
  let v = 0;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols; g += m) {
      const base = r * cols + g;
      let pruned = 0;
      for (let i = 0; i < m; i++) pruned += mask[base + i] !== 0 ? 1 : 0;
      if (pruned !== n) {
        throw new InvalidArgumentError('mask', `row ${r}, columns ${g}..${g + m - 1} prune ${pruned} weights, expected exactly ${n} (${n}:${m})`);
      }
      for (let i = 0; i < m; i++) {
        if (mask[base + i] === 0) {
          keptMask[base + i] = 1;
          values[v++] = weight[base + i];
        }
      }
    }
  }
  const packed = packBitmask(keptMask, shape);
  return { values, valuesShape: [rows, keptPerRow], kept: packed.bytes, keptShape: packed.shape };
}

/** Rebuilds the dense `[rows, cols]` matrix (pruned positions +0.0) from kept values and the kept-position bitmask. */
export function decompressNM(values: Float32Array, kept: Uint8Array, shape: MatrixShape): Float32Array {
  validateShape(shape);
  const [rows, cols] = shape;
  const keptMask = unpackBitmask(kept, shape);
  let total = 0;
  for (let i = 0; i < keptMask.length; i++) total += keptMask[i];
  if (!(values instanceof Float32Array) || values.length !== total) {
    throw new InvalidArgumentError('values', `the bitmask keeps ${total} positions of [${rows}, ${cols}], got ${values?.length} values`);
  }
  const out = new Float32Array(rows * cols);
  let v = 0;
  for (let i = 0; i < keptMask.length; i++) if (keptMask[i]) out[i] = values[v++];
  return out;
}
