/**
 * WebGPU adapter description and tfjs-backend-webgpu activation on a given adapter: shared by Node (Dawn, webgpu.ts)
 * and browsers (`navigator.gpu`, browser-backends.ts). No Node built-ins.
 */
import * as tf from '@tensorflow/tfjs-core';

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
export interface GpuLike {
  requestAdapter(options: { powerPreference: string }): Promise<GpuAdapterLike | null>;
}
export interface TfjsWebGpuModule {
  WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
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

function softwareAdapterRefused(described: WebGpuAdapterInfo, askByName: string): Error {
  return new Error(
    `the only WebGPU adapter is a software one (${described.description || described.architecture || described.vendor || 'no name'}); ${askByName}`,
  );
}

/** The device and backend the last activation registered, while its device is not lost. */
let active: { gpu: GpuLike; backend: unknown; described: WebGpuAdapterInfo; lost: boolean } | undefined;

/**
 * Activates tfjs's `webgpu` backend on `gpu`'s high-performance adapter. `allowFallback` false refuses a software
 * adapter (SwiftShader, llvmpipe, WARP) with an Error saying so. Device requirements are tfjs-backend-webgpu's own
 * (its `base.ts`): the adapter's maxima for the limits it uses. Activating again on the same `gpu` (after another
 * backend was used in between) reuses the device and backend registered before while the device is not lost, so the
 * shaders tfjs compiled for it are kept (a new device compiles them all again: seconds to minutes).
 */
export async function activateOnGpu(
  gpu: GpuLike,
  webgpu: TfjsWebGpuModule,
  allowFallback: boolean,
  noAdapter: string,
  askByName: string,
): Promise<WebGpuAdapterInfo> {
  if (active && active.gpu === gpu && !active.lost && tf.findBackend('webgpu') === active.backend) {
    const described = active.described;
    if (described.fallback && !allowFallback) throw softwareAdapterRefused(described, askByName);
    if (await tf.setBackend('webgpu')) return described;
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(noAdapter);
  const described = describeAdapter(adapter);
  if (described.fallback && !allowFallback) throw softwareAdapterRefused(described, askByName);
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
  active = undefined;
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(device, info), 3);
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error(`tfjs refused to initialise its webgpu backend on ${described.description || described.vendor}`);
  const record = { gpu, backend: tf.findBackend('webgpu'), described, lost: false };
  (device as { lost?: Promise<unknown> }).lost?.then(() => (record.lost = true));
  active = record;
  return described;
}
