import type { MatrixShape } from './mask-types.js';
import { InvalidArgumentError } from '@dass/errors';

/** Zeroes (as +0.0, docs/SPEC.md §3) every weight whose mask entry is non-zero, in place; returns how many were masked. */
export function applyMask(weight: Float32Array | Float64Array, mask: Uint8Array, shape?: MatrixShape): number {
  if (!(mask instanceof Uint8Array)) throw new InvalidArgumentError('mask', `expected a Uint8Array, got ${String(mask)}`);
  if (weight?.length !== mask.length) {
    throw new InvalidArgumentError(
      'mask',
      `length ${mask.length} does not match weight length ${weight?.length}` + (shape ? ` (shape [${shape[0]}, ${shape[1]}])` : ''),
    );
  }
  let masked = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 0) {
      weight[i] = 0;
      masked++;
    }
  }
  return masked;
}
