import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** What the WebGPU adapter says about itself (GPUAdapterInfo), plus the limits the layer code sizes its chunks by. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  /** A CPU/software implementation (SwiftShader, llvmpipe, WARP): correct, never fast. */
  fallback: boolean;
  limits: {
    /** Bytes: the largest range of a buffer one shader may bind (GPUSupportedLimits.maxStorageBufferBindingSize). */
    maxStorageBufferBindingSize: number;
    /** Bytes: the largest buffer the device may create (GPUSupportedLimits.maxBufferSize). */
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxComputeWorkgroupStorageSize: number;
  };
}

/** Software adapters by name, for drivers that do not set `isFallbackAdapter`. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

// Minimal structural types of the WebGPU objects used here (so the build needs neither @webgpu/types nor the DOM lib).
interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeInvocationsPerWorkgroup: number;
}
interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuAdapterLike {
  info?: GpuAdapterInfo;
  isFallbackAdapter?: boolean;
  limits: GpuLimits;
  features: { has(name: string): boolean };
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(options: { powerPreference: string }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface TfjsWebGpuModule {
  WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
}

let dawn: { gpu: GpuLike } | undefined;

/** Loads Dawn's Node binding (npm `webgpu`) once and installs its WebGPU globals (GPUBufferUsage, …) tfjs needs. */
async function loadDawn(): Promise<GpuLike> {
  if (!dawn) {
    let mod: DawnModule;
    try {
      mod = (await import(require.resolve('webgpu'))) as DawnModule;
    } catch (err) {
      throw new Error(`the optional package "webgpu" (Dawn for Node) is not installed or failed to load (${(err as Error).message.split('\n')[0]})`, { cause: err });
    }
    for (const [name, value] of Object.entries(mod.globals)) {
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    }
    const gpu = mod.create([]);
    // tfjs-backend-webgpu checks `navigator.gpu` (Node 20 has no navigator; Node 21+ has one without gpu).
    const g = globalThis as { navigator?: Record<string, unknown> };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    if (!g.navigator!.gpu) Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true });
    dawn = { gpu };
  }
  return dawn.gpu;
}

/** Describes an adapter: GPUAdapterInfo fields, fallback flag, the buffer limits. */
export function describeAdapter(adapter: GpuAdapterLike): WebGpuAdapterInfo {
  const info = adapter.info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const description = info?.description ?? '';
  const device = info?.device ?? '';
  const flagged = info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const l = adapter.limits;
  return {
    vendor,
    architecture,
    description,
    device,
    fallback: flagged || SOFTWARE_ADAPTER.test(`${vendor} ${architecture} ${description} ${device}`),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  };
}

/**
 * Asks Dawn for an adapter in a child process first: the Vulkan loader and Dawn print their complaints (no driver,
 * a refused lavapipe) straight to the process's stderr, so probing in a child keeps them out of this process's
 * output and lets the error say why in one line. Returns null when there is an adapter, else the reason.
 */
function probeAdapter(): string | null {
  let dawnPath: string;
  try {
    dawnPath = require.resolve('webgpu');
  } catch {
    return 'the optional package "webgpu" (Dawn for Node) is not installed';
  }
  const script = `const { create } = await import(${JSON.stringify(pathToFileURL(dawnPath).href)});
let gpu = create([]); const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
process.stdout.write(a ? 'adapter' : 'none'); gpu = undefined;`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (child.stdout === 'adapter') return null;
  const warnings = (child.stderr ?? '')
    .split('\n')
    .map((line) => line.replace(/^Warning:\s*/, '').trim())
    .filter((line) => line.length > 0 && !line.startsWith('at ') && !line.startsWith('- '));
  const detail = warnings.length > 0 ? `; the driver said: ${warnings.slice(0, 2).join(' / ')}` : '';
  if (child.status !== 0 && child.stdout !== 'none') return `Dawn failed to start (exit ${child.status ?? child.signal})${detail}`;
  return `Dawn found no WebGPU adapter (install the GPU's Vulkan/Metal/D3D12 driver, or point VK_ICD_FILENAMES at a Vulkan ICD)${detail}`;
}

/** On Linux a hardware adapter needs a GPU device node; without one `auto` does not load Dawn at all. */
function linuxGpuDeviceNode(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (existsSync('/dev/dri') && readdirSync('/dev/dri').some((n) => n.startsWith('renderD') || n.startsWith('card'))) return true;
  } catch {
    // unreadable /dev/dri: look further
  }
  return existsSync('/dev/nvidia0') || existsSync('/dev/dxg') || existsSync('/dev/kfd');
}

/**
 * Registers and activates tfjs's `webgpu` backend on Dawn. `allowFallback` false (the `auto` order) refuses a
 * software adapter such as SwiftShader; `--backend webgpu` passes true. Errors say why there is no usable adapter.
 * Device requirements are tfjs-backend-webgpu's own (its `base.ts`): the adapter's maxima for the limits it uses.
 */
export async function activateWebGpu(allowFallback: boolean): Promise<WebGpuAdapterInfo> {
  if (!allowFallback && !linuxGpuDeviceNode()) throw new Error('no GPU device node (/dev/dri/renderD*, /dev/nvidia0, /dev/dxg, /dev/kfd)');
  const reason = probeAdapter();
  if (reason) throw new Error(reason);
  try {
    return await activate(allowFallback);
  } catch (err) {
    releaseDawn();
    throw err;
  }
}

/** Drops Dawn's instance: while one is referenced, Node does not exit (node-webgpu's README, "Lifetime"). */
function releaseDawn(): void {
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (dawn && g.navigator?.gpu === dawn.gpu) delete g.navigator.gpu;
  dawn = undefined;
}

async function activate(allowFallback: boolean): Promise<WebGpuAdapterInfo> {
  const gpu = await loadDawn();
  let webgpu: TfjsWebGpuModule;
  try {
    webgpu = (await import(require.resolve('@tensorflow/tfjs-backend-webgpu'))) as TfjsWebGpuModule;
  } catch (err) {
    throw new Error(`the optional package @tensorflow/tfjs-backend-webgpu is not installed or failed to load (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (install the GPU\'s Vulkan/Metal/D3D12 driver, or point VK_ICD_FILENAMES at a Vulkan ICD)');
  const described = describeAdapter(adapter);
  if (described.fallback && !allowFallback) {
    throw new Error(`the only WebGPU adapter is a software one (${described.description || described.architecture}); ask for the webgpu backend by name to use it`);
  }
  const requiredFeatures: string[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  const info = adapter.info;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(device, info), 3);
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error(`tfjs refused to initialise its webgpu backend on ${described.description || described.vendor}`);
  return described;
}
