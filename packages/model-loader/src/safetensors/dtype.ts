/**
 * The safetensors dtypes this loader understands, with their element sizes. Other safetensors dtypes (FP8, U16,
 * U32, U64, ...) are rejected when a header names them: nothing here could compute with them.
 */
import type { DType, ModelConfig } from '../types.js';

export const DTYPE_SIZES: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const KNOWN_DTYPES = Object.keys(DTYPE_SIZES) as DType[];

export const FLOAT_DTYPES: readonly DType[] = ['F64', 'F32', 'F16', 'BF16'];

export function isKnownDtype(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, value);
}

export function isFloatDtype(dtype: DType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

/** config.json's torch_dtype of each storage dtype that has one: the dtypes written checkpoints use. */
export const TORCH_DTYPE_OF = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const satisfies Partial<
  Record<DType, NonNullable<ModelConfig['torchDtype']>>
>;

export function hasTorchDtype(dtype: unknown): dtype is keyof typeof TORCH_DTYPE_OF {
  return typeof dtype === 'string' && Object.prototype.hasOwnProperty.call(TORCH_DTYPE_OF, dtype);
}

/** Product of a shape's dimensions (1 for a scalar `[]`). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
