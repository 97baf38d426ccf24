import type { MatrixShape } from './mask-types.js';
import { validateMatrix, validateShape } from './matrix-shape.js';
import { InvalidArgumentError } from '@dass/errors';

/** Bytes per packed row: each row is padded to whole bytes. */
export function packedRowBytes(cols: number): number {
  return Math.ceil(cols / 8);
}

/**
 * Packs a 0/1 mask `[rows, cols]` into bits: bit k (value 1 << k) of byte b in a row is element 8·b + k of that
 * row (little bit order); each row starts on a fresh byte. Returns `[rows, ceil(cols/8)]` bytes.
 */
export function packBitmask(mask: Uint8Array, shape: MatrixShape): { bytes: Uint8Array; shape: [number, number] } {
  if (!(mask instanceof Uint8Array)) throw new InvalidArgumentError('mask', `expected a Uint8Array, got ${String(mask)}`);
  validateMatrix(mask, shape, 'mask');
  const [rows, cols] = shape;
  const rowBytes = packedRowBytes(cols);
  const bytes = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    const dst = r * rowBytes;
    for (let c = 0; c < cols; c++) if (mask[src + c] !== 0) bytes[dst + (c >> 3)] |= 1 << (c & 7);
  }
  return { bytes, shape: [rows, rowBytes] };
}

/** The inverse of `packBitmask`: `shape` is the unpacked `[rows, cols]`. Padding bits must be 0. */
export function unpackBitmask(bytes: Uint8Array, shape: MatrixShape): Uint8Array {
  validateShape(shape);
  const [rows, cols] = shape;
  const rowBytes = packedRowBytes(cols);
  if (!(bytes instanceof Uint8Array) || bytes.length !== rows * rowBytes) {
    throw new InvalidArgumentError('bytes', `expected ${rows * rowBytes} bytes ([${rows}, ${rowBytes}]) for a [${rows}, ${cols}] mask, got ${bytes?.length}`);
  }
  const mask = new Uint8Array(rows * cols);
  const padding = cols & 7 ? 0xff << (cols & 7) : 0;
  for (let r = 0; r < rows; r++) {
    const src = r * rowBytes;
    const dst = r * cols;
    for (let c = 0; c < cols; c++) mask[dst + c] = (bytes[src + (c >> 3)] >> (c & 7)) & 1;
    if (padding && bytes[src + rowBytes - 1] & padding) {
      throw new InvalidArgumentError('bytes', `row ${r} has padding bits set beyond column ${cols} (wrong shape?)`);
    }
  }
  return mask;
}

/** Transposes a row-major `[rows, cols]` matrix into `[cols, rows]` (blocked so both sides stay cache-friendly). */
export function transposeMatrix<T extends Uint8Array | Float32Array | Float64Array>(data: T, shape: MatrixShape): T {
  validateMatrix(data, shape, 'data');
  const [rows, cols] = shape;
  const out = new (data.constructor as new (n: number) => T)(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = data[r * cols + c];
    }
  }
  return out;
}
