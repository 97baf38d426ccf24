import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures, useSwiftShader } from '@dass/model-loader/test';
import { countDeviceReads } from '@dass/tensor-backend';
import { runPrune } from './run-prune.js';

const calibText = new URL('../fixtures/tinystories_train_head.txt', import.meta.url).pathname;
const swiftShader = useSwiftShader();
if (swiftShader.reason) console.warn(`SKIPPED: ${swiftShader.reason}`);

/** Zero masks of every pruned matrix of a 2:4 prune of stories260K through `backend`. */
async function masks(
  backend: 'wasm' | 'webgpu',
  method: string,
): Promise<{ masks: Map<string, Uint8Array>; manifest: Awaited<ReturnType<typeof runPrune>>; reads: number }> {
  const out = new Map<string, Uint8Array>();
  const counter = countDeviceReads();
  const manifest = await runPrune({
    model: fixtures.stories260K.bin,
    tokenizer: fixtures.stories260K.tokenizer,
    calib: calibText,
    // SwiftShader computes at ~0.1 GFLOP/s: a small calibration set keeps this to a minute or two per method.
    nsamples: 2,
    seqlen: 32,
    seed: 0,
    method,
    sparsity: '2:4',
    backend,
    // The reference is tfjs's own wasm kernels (XNNPACK): on 64 tokens SparseGPT's tiny Hessians turn any change of
    // summation order into mask flips (MLAS against webgpu: ~97% agreement); native vs XNNPACK is run-prune.test.ts's.
    ...(backend === 'wasm' ? { gemm: 'wasm' as const } : {}),
    out: join(mkdtempSync(join(tmpdir(), 'dass-webgpu-')), 'pruned.bin'),
    onPrunedWeight: (name, data) =>
      out.set(
        name,
        Uint8Array.from(data, (v) => (v === 0 ? 1 : 0)),
      ),
  }).finally(() => counter.stop());
  return { masks: out, manifest, reads: counter.count };
}

// Through webgpu the layers run on the device (float32 statistics on the device, attention as batched matmuls); the
// masks must still be the ones the wasm path picks, up to exact ties of the scores.
describe.skipIf(!swiftShader.icd)('runPrune through webgpu (SwiftShader) gives the masks wasm gives', () => {
  for (const method of ['dass', 'sparsegpt']) {
    it(`${method} 2:4: ≥ 99.9% of mask entries agree, and the manifest names the adapter`, async () => {
      const wasm = await masks('wasm', method);
      const webgpu = await masks('webgpu', method);
      expect(webgpu.manifest.backend.name).toBe('webgpu');
      expect(webgpu.manifest.backend.adapter?.description).toMatch(/SwiftShader/);
      expect(webgpu.manifest.backend.adapter?.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      // Device→host reads: per layer Σx² of the gate/up and down inputs (+ their XᵀX for SparseGPT), then the final
      // hidden states once; nothing else comes back, however many passes.
      expect(webgpu.reads).toBe(5 * (method === 'sparsegpt' ? 4 : 2) + 1);
      expect([...webgpu.masks.keys()].sort()).toEqual([...wasm.masks.keys()].sort());
      let same = 0;
      let total = 0;
      for (const [name, a] of wasm.masks) {
        const b = webgpu.masks.get(name)!;
        for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
        total += a.length;
      }
      expect(total).toBe(15 * 11008); // 5 layers × gate/up/down [172, 64]
      expect(same / total).toBeGreaterThanOrEqual(0.999);
    }, 900_000);
  }
});
