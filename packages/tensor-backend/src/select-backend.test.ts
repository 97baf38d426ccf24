import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { countDeviceReads, describeAdapter, layerExecution, maxTensorBytes, selectBackend, tf } from './index.js';
import type { GpuAdapterLike } from './webgpu.js';

const gpuInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
})();

describe('selectBackend', () => {
  it('auto skips the backends that are not available and lands on wasm', async () => {
    const choice = await selectBackend('auto');
    expect(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']).toContain(choice.name);
    if (choice.name === 'wasm') {
      expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
      for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
      expect(layerExecution()).toBe('host-assisted');
      expect(maxTensorBytes()).toBe(Infinity);
    }
    // auto never settles on a software WebGPU adapter (SwiftShader in CI)
    if (choice.name === 'webgpu') expect(choice.adapter?.fallback).toBe(false);
    const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(await c.data())).toEqual([17, 39]);
  });

  it('rejects an unknown backend name, naming it', async () => {
    await expect(selectBackend('metal' as never)).rejects.toThrow(/backend: expected one of .* got "metal"/);
  });

  // Skipped (visibly) where tfjs-node-gpu is installed: then there is no missing backend to ask for.
  it.skipIf(gpuInstalled)('a named backend that is missing is an error naming it', async () => {
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/backend tensorflow-gpu is not available/);
  });

  it('countDeviceReads counts every read path once per call and unwraps on stop', async () => {
    await selectBackend('auto');
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    const counter = countDeviceReads();
    t.dataSync();
    await t.data();
    t.arraySync();
    await t.array();
    expect(counter.count).toBe(4);
    expect(counter.elements).toBe(16);
    counter.stop();
    t.dataSync();
    expect(counter.count).toBe(4);
    t.dispose();
  });
});

describe('describeAdapter', () => {
  const limits = {
    maxStorageBufferBindingSize: 2 ** 31 - 4,
    maxBufferSize: 2 ** 32,
    maxComputeWorkgroupsPerDimension: 65535,
    maxComputeWorkgroupStorageSize: 32768,
    maxComputeWorkgroupSizeX: 1024,
    maxComputeInvocationsPerWorkgroup: 1024,
  };
  const adapter = (info: GpuAdapterLike['info']): GpuAdapterLike => ({
    info,
    limits,
    features: { has: () => false },
    requestDevice: async () => ({}),
  });

  it('flags software adapters by the flag or by name, and keeps hardware ones', () => {
    expect(describeAdapter(adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' })).fallback).toBe(true);
    expect(describeAdapter(adapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).fallback).toBe(true);
    expect(describeAdapter(adapter({ vendor: 'x', isFallbackAdapter: true })).fallback).toBe(true);
    const nvidia = describeAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }));
    expect(nvidia.fallback).toBe(false);
    expect(nvidia.limits.maxStorageBufferBindingSize).toBe(2 ** 31 - 4);
    expect(nvidia.limits.maxBufferSize).toBe(2 ** 32);
  });
});
