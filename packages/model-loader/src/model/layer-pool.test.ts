import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { syntheticModelConfig, SYNTHETIC_MODEL_SHAPES } from '../synthetic/synthetic-config.js';
import { LayerWorkerPool, MIN_PARALLEL_PASS_FLOPS, defaultThreads, layerPassFlops } from './layer-pool.js';

describe('LayerWorkerPool.split', () => {
  it('covers every sample once, in order, with slice sizes differing by at most one', () => {
    for (const [batch, threads] of [
      [8, 2],
      [7, 3],
      [2, 4],
      [1, 2],
      [128, 16],
    ] as const) {
      const slices = LayerWorkerPool.split(batch, threads);
      expect(slices.length).toBe(Math.min(batch, threads));
      expect(slices[0]![0]).toBe(0);
      expect(slices.at(-1)![1]).toBe(batch);
      for (let i = 1; i < slices.length; i++) expect(slices[i]![0]).toBe(slices[i - 1]![1]);
      const sizes = slices.map(([s, e]) => e - s);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('refuses a pool of fewer than 2 threads', async () => {
    const config = syntheticModelConfig(SYNTHETIC_MODEL_SHAPES.stories15M, 'F32');
    await expect(LayerWorkerPool.create({ threads: 1, config, backend: 'wasm' })).rejects.toThrow(/threads/);
  });
});

describe('defaultThreads', () => {
  const config = syntheticModelConfig(SYNTHETIC_MODEL_SHAPES.stories15M, 'F32');
  it('layerPassFlops is 2 · tokens · the layer weights (stories15M: 288 · (4 · 288) + 3 · 288 · 768 per token)', () => {
    expect(layerPassFlops(config, 10)).toBe(2 * 10 * (288 * 4 * 288 + 3 * 288 * 768));
  });
  it('every core on wasm/cpu for a large pass; 1 for a tiny pass and on the native backends', () => {
    const bigTokens = Math.ceil(MIN_PARALLEL_PASS_FLOPS / layerPassFlops(config, 1));
    expect(defaultThreads('wasm', { config, tokens: bigTokens })).toBe(availableParallelism());
    expect(defaultThreads('cpu')).toBe(availableParallelism());
    expect(defaultThreads('wasm', { config, tokens: bigTokens - 1 })).toBe(1);
    expect(defaultThreads('tensorflow', { config, tokens: bigTokens })).toBe(1);
  });
});
