import { llama2cConfig, llama2cLayout, type HostTensor, type Llama2cHeader, type WeightSource } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

/** stories15M's llama2.c header (dim 288, 6 layers, 6 heads, hidden 768, vocab 32000, 256 positions). */
export const STORIES15M_HEADER: Llama2cHeader = {
  dim: 288,
  hiddenDim: 768,
  nLayers: 6,
  nHeads: 6,
  nKvHeads: 6,
  vocabSize: 32000,
  sharedClassifier: true,
  seqLen: 256,
};

/** Deterministic per-tensor noise (xorshift32 seeded from the name): same weights on every run. */
function noise(name: string, size: number, scale: number): Float32Array {
  let s = 2166136261;
  for (let i = 0; i < name.length; i++) s = Math.imul(s ^ name.charCodeAt(i), 16777619) >>> 0;
  s ||= 1;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/**
 * An in-memory WeightSource with a llama2.c model's shapes and HF names, filled with deterministic noise
 * (norms = 1). For throughput benchmarks of model shapes no checkpoint here has; its outputs mean nothing.
 */
export function syntheticWeightSource(header: Llama2cHeader = STORIES15M_HEADER): WeightSource {
  const config = llama2cConfig(header);
  const { spans } = llama2cLayout(header);
  const shapes = new Map([...spans].map(([name, span]) => [name, span.shape]));
  const shapeOf = (name: string): number[] => {
    const shape = shapes.get(name);
    if (!shape) throw new InvalidArgumentError('name', `the synthetic model has no tensor ${JSON.stringify(name)}`);
    return shape;
  };
  return {
    path: `synthetic:${header.dim}x${header.nLayers}`,
    format: 'llama2c',
    config,
    tensorNames: () => [...shapes.keys()],
    has: (name) => shapes.has(name),
    shape: (name) => [...shapeOf(name)],
    dtype: (name) => (shapeOf(name), 'F32'),
    async readF32(name): Promise<HostTensor> {
      const shape = shapeOf(name);
      const size = shape.reduce((a, b) => a * b, 1);
      const data = shape.length === 1 ? new Float32Array(size).fill(1) : noise(name, size, 1 / Math.sqrt(shape[1]));
      return { shape: [...shape], data };
    },
    async close() {},
  };
}
