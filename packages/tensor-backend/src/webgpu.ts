import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { activateOnGpu, type GpuLike, type TfjsWebGpuModule, type WebGpuAdapterInfo } from './webgpu-adapter.js';

const require = createRequire(import.meta.url);

export { describeAdapter } from './webgpu-adapter.js';
export type { WebGpuAdapterInfo, GpuAdapterLike } from './webgpu-adapter.js';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

let dawn: { gpu: GpuLike } | undefined;

/** Loads Dawn's Node binding (npm `webgpu`) once and installs its WebGPU globals (GPUBufferUsage, …) tfjs needs. */
async function loadDawn(): Promise<GpuLike> {
  if (!dawn) {
    let mod: DawnModule;
    try {
      mod = (await import(require.resolve('webgpu'))) as DawnModule;
    } catch (err) {
      throw new Error(`the optional package "webgpu" (Dawn for Node) is not installed or failed to load (${(err as Error).message.split('\n')[0]})`, {
        cause: err,
      });
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
    throw new Error(`the optional package @tensorflow/tfjs-backend-webgpu is not installed or failed to load (${(err as Error).message.split('\n')[0]})`, {
      cause: err,
    });
  }
  return activateOnGpu(
    gpu,
    webgpu,
    allowFallback,
    "Dawn found no WebGPU adapter (install the GPU's Vulkan/Metal/D3D12 driver, or point VK_ICD_FILENAMES at a Vulkan ICD)",
    'ask for the webgpu backend by name to use it',
  );
}
