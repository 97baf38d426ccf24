import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { activateOnGpu, type GpuAdapterLike, type GpuLike, type TfjsWebGpuModule } from './webgpu-adapter.js';

/** A WebGPU stand-in that counts adapters, devices and backends, and can lose its device. */
function fakeGpu(description: string) {
  const counts = { adapters: 0, devices: 0, backends: 0 };
  let loseDevice: () => void = () => {};
  const limits = {
    maxStorageBufferBindingSize: 2 ** 27,
    maxBufferSize: 2 ** 28,
    maxComputeWorkgroupsPerDimension: 65535,
    maxComputeWorkgroupStorageSize: 16384,
    maxComputeWorkgroupSizeX: 256,
    maxComputeInvocationsPerWorkgroup: 256,
  };
  const adapter: GpuAdapterLike = {
    info: { vendor: 'test', architecture: 'test', description, device: '' },
    limits,
    features: { has: () => false },
    async requestDevice() {
      counts.devices++;
      return { lost: new Promise((resolve) => (loseDevice = () => resolve({ reason: 'destroyed' }))) };
    },
  };
  const gpu: GpuLike = {
    async requestAdapter() {
      counts.adapters++;
      return adapter;
    },
  };
  // tfjs's own CPU backend stands in for the WebGPU one: activation only registers and selects it.
  const CpuBackend = (tf.findBackend('cpu') as tf.KernelBackend).constructor as new () => tf.KernelBackend;
  const webgpu: TfjsWebGpuModule = {
    WebGPUBackend: class extends CpuBackend {
      constructor() {
        super();
        counts.backends++;
      }
    } as unknown as TfjsWebGpuModule['WebGPUBackend'],
  };
  return { gpu, webgpu, counts, lose: () => loseDevice() };
}

describe('activateOnGpu', () => {
  it('reuses its device and backend when activated again after another backend ran, until the device is lost', async () => {
    await tf.setBackend('cpu');
    const fake = fakeGpu('a test GPU');
    const first = await activateOnGpu(fake.gpu, fake.webgpu, false, 'no adapter', 'ask by name');
    expect(tf.getBackend()).toBe('webgpu');
    const backend = tf.findBackend('webgpu');
    await tf.setBackend('cpu');
    const second = await activateOnGpu(fake.gpu, fake.webgpu, false, 'no adapter', 'ask by name');
    expect(second).toEqual(first);
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.findBackend('webgpu')).toBe(backend); // the same instance: its compiled shaders are kept
    expect(fake.counts).toEqual({ adapters: 1, devices: 1, backends: 1 });

    // A lost device is not reused: the next activation asks for a new one.
    fake.lose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await tf.setBackend('cpu');
    await activateOnGpu(fake.gpu, fake.webgpu, false, 'no adapter', 'ask by name');
    expect(fake.counts).toEqual({ adapters: 2, devices: 2, backends: 2 });
    expect(tf.findBackend('webgpu')).not.toBe(backend);
    await tf.setBackend('cpu');
  });

  it('a reused software adapter is still refused unless asked for by name', async () => {
    await tf.setBackend('cpu');
    const fake = fakeGpu('SwiftShader Device (Subzero)');
    const described = await activateOnGpu(fake.gpu, fake.webgpu, true, 'no adapter', 'ask by name');
    expect(described.fallback).toBe(true);
    await tf.setBackend('cpu');
    await expect(activateOnGpu(fake.gpu, fake.webgpu, false, 'no adapter', 'ask by name')).rejects.toThrow(
      /^the only WebGPU adapter is a software one \(SwiftShader Device \(Subzero\)\); ask by name$/,
    );
    expect(await activateOnGpu(fake.gpu, fake.webgpu, true, 'no adapter', 'ask by name')).toEqual(described);
    expect(fake.counts).toEqual({ adapters: 1, devices: 1, backends: 1 });
    await tf.setBackend('cpu');
  });
});
