import { numelOf } from '../safetensors/dtype.js';
import type { DType, HostTensor, WeightSource } from '../types.js';
import { InvalidArgumentError } from '@dass/errors';

/**
 * A weight source that serves some tensors from memory (e.g. pruned weights) and the rest from `base`:
 * the "in-memory pruned model" that a written checkpoint must reproduce.
 */
export function overlayWeights(base: WeightSource, overrides: ReadonlyMap<string, HostTensor>): WeightSource {
  for (const [name, t] of overrides) {
    if (!base.has(name)) throw new InvalidArgumentError('overrides', `${name} is not a tensor of ${base.path}`);
    const shape = base.shape(name);
    const numel = numelOf(shape);
    if (t.data.length !== numel) throw new InvalidArgumentError('overrides', `${name} has ${t.data.length} values, ${base.path} has [${shape.join(', ')}]`);
  }
  return {
    path: base.path,
    format: base.format,
    config: base.config,
    tensorNames: () => base.tensorNames(),
    ...(base.unusedTensors === undefined ? {} : { unusedTensors: base.unusedTensors }),
    has: (name) => base.has(name),
    shape: (name) => base.shape(name),
    dtype: (name): DType => base.dtype(name),
    readF32: async (name) => {
      const t = overrides.get(name);
      return t ? { shape: [...t.shape], data: t.data } : base.readF32(name);
    },
    close: () => base.close(),
  };
}
