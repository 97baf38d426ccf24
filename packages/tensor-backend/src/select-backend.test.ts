import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_NAMES,
  BackendUnavailableError,
  backendReport,
  clearBackendChoice,
  countDeviceReads,
  currentBackend,
  describeAdapter,
  layerExecution,
  maxTensorBytes,
  nativeGemmLoadError,
  nativeGemmStatus,
  selectBackend,
  tf,
} from './index.js';
import type { BackendName } from './index.js';
import type { GpuAdapterLike } from './webgpu.js';

const require = createRequire(import.meta.url);
const resolves = (pkg: string): boolean => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const gpuInstalled = resolves('@tensorflow/tfjs-node-gpu');

/** A GPU device node, as a hardware WebGPU adapter on Linux needs (elsewhere: assume one may exist and ask Dawn). */
function gpuDeviceNode(): boolean {
  if (process.platform !== 'linux') return true;
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri') : [];
  return dri.some((n) => n.startsWith('renderD') || n.startsWith('card')) || ['/dev/nvidia0', '/dev/dxg', '/dev/kfd'].some((p) => existsSync(p));
}

/** Asks Dawn directly (in a child process, as Dawn keeps a process alive) whether it has a hardware adapter. */
function hardwareWebGpuAdapter(): boolean {
  if (!gpuDeviceNode() || !resolves('webgpu') || !resolves('@tensorflow/tfjs-backend-webgpu')) return false;
  const script = `const { create } = await import(${JSON.stringify(pathToFileURL(require.resolve('webgpu')).href)});
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = a?.info ?? {};
const soft = !a || a.isFallbackAdapter || i.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic/i.test([i.vendor, i.architecture, i.description, i.device].join(' '));
process.stdout.write(soft ? 'software' : 'hardware'); process.exit(0);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return child.stdout === 'hardware';
}

/** What `auto` must choose on this machine: the first of tensorflow-gpu, webgpu (hardware), tensorflow, wasm present. */
function expectedAutoBackend(): BackendName {
  if (gpuInstalled) return 'tensorflow-gpu';
  if (hardwareWebGpuAdapter()) return 'webgpu';
  if (resolves('@tensorflow/tfjs-node')) return 'tensorflow';
  return 'wasm';
}

describe('selectBackend', () => {
  it('auto picks the first backend this machine has (here and in CI: wasm) and says why it skipped the others', async () => {
    const expected = expectedAutoBackend();
    const choice = await selectBackend('auto');
    expect(choice.name).toBe(expected);
    expect(choice.skipped.map((s) => s.name)).toEqual(BACKEND_NAMES.slice(0, BACKEND_NAMES.indexOf(expected)));
    for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
    if (expected === 'wasm') {
      // tfjs-node(-gpu) are not dependencies: not installed here, and the reason says so
      expect(choice.skipped.find((s) => s.name === 'tensorflow-gpu')?.reason).toMatch(/tfjs-node-gpu/);
      expect(layerExecution()).toBe('host-assisted');
      expect(maxTensorBytes()).toBe(Infinity);
    }
    if (!gpuDeviceNode()) expect(choice.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/^no GPU device node/);
    // auto never settles on a software WebGPU adapter (SwiftShader in CI)
    if (choice.name === 'webgpu') expect(choice.adapter?.fallback).toBe(false);
    const c = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([[5], [6]]),
    );
    expect(Array.from(await c.data())).toEqual([17, 39]);
  });

  it("gemm picks the wasm products' engine: auto = native when onnxruntime-node loads, wasm = XNNPACK; the report records it", async () => {
    const before = tf.getBackend();
    try {
      const ortError = nativeGemmLoadError();
      const auto = await selectBackend('wasm', { gemm: 'auto' });
      if (ortError === undefined) {
        expect(auto.gemm).toEqual({ request: 'auto', engine: 'onnxruntime-node 1.30.0 (MLAS)' });
        expect(nativeGemmStatus().active).toBe(true);
      } else {
        expect(auto.gemm).toMatchObject({ request: 'auto', engine: 'xnnpack', reason: expect.stringContaining(ortError) });
      }
      expect(backendReport().gemm).toEqual(auto.gemm);
      // The cached choice without a gemm keeps the engine; with one, switches it.
      expect((await selectBackend('auto')).gemm).toEqual(auto.gemm);
      const wasm = await selectBackend('wasm', { gemm: 'wasm' });
      expect(wasm.gemm).toEqual({ request: 'wasm', engine: 'xnnpack' });
      expect(nativeGemmStatus().active).toBe(false);
      await expect(selectBackend('wasm', { gemm: 'blas' as never })).rejects.toMatchObject({ code: 'DASS_INVALID_ARGUMENT', field: 'gemm' });
      // native on a backend with its own kernels: an error naming the option.
      await tf.setBackend('cpu');
      const err = await selectBackend('cpu', { gemm: 'native' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'NativeGemmUnavailableError', code: 'DASS_BACKEND_UNAVAILABLE', field: 'gemm' });
      expect((err as Error).message).toMatch(/^gemm native needs the wasm backend/);
    } finally {
      await selectBackend('wasm', { gemm: 'auto' });
      if (before && before !== 'wasm') await tf.setBackend(before);
    }
  });

  it('clearBackendChoice forgets the cached choice: auto decides afresh instead of returning the cpu backend chosen before', async () => {
    const expected = expectedAutoBackend();
    try {
      expect((await selectBackend('cpu')).name).toBe('cpu');
      expect((await selectBackend('auto')).name).toBe('cpu'); // cached
      clearBackendChoice();
      expect(currentBackend()).toBeUndefined();
      expect(tf.getBackend()).toBe('cpu'); // tfjs is left as it was until the next selection
      const fresh = await selectBackend('auto');
      expect(fresh.name).toBe(expected);
      expect(fresh.skipped.map((s) => s.name)).toEqual(BACKEND_NAMES.slice(0, BACKEND_NAMES.indexOf(expected)));
      expect(tf.getBackend()).toBe(fresh.tfjsName);
    } finally {
      clearBackendChoice();
    }
  });

  it('rejects an unknown backend name, naming it', async () => {
    await expect(selectBackend('metal' as never)).rejects.toMatchObject({
      code: 'DASS_INVALID_ARGUMENT',
      field: 'backend',
      message: expect.stringMatching(/^backend: expected one of .* got "metal"/),
    });
  });

  // Skipped (visibly) where tfjs-node-gpu is installed: then there is no missing backend to ask for.
  it.skipIf(gpuInstalled)('a named backend that is missing is an error naming it', async () => {
    const err = await selectBackend('tensorflow-gpu').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'BackendUnavailableError', code: 'DASS_BACKEND_UNAVAILABLE', field: 'backend' });
    expect(BackendUnavailableError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/^backend tensorflow-gpu is not available: /);
    expect((err as BackendUnavailableError).describe((f) => `--${f}`)).toMatch(/^--backend tensorflow-gpu is not available: /);
  });

  it('countDeviceReads counts every read path once per call and unwraps on stop', async () => {
    await selectBackend('auto');
    const t = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
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
