import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countDeviceReads, currentBackend, selectBackend } from '@dass/tensor-backend';
import { fixtures, useSwiftShader } from '../test/index.js';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { CausalLM } from './causal-lm.js';

const reference = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')) as { input_ids: number[]; nll_per_target_token: number[] };
const swiftShader = useSwiftShader();
if (swiftShader.reason) console.warn(`SKIPPED: ${swiftShader.reason}`);

// tfjs-backend-webgpu on Dawn on SwiftShader's Vulkan driver (a CPU implementation: correct, ~0.1 GFLOP/s).
describe.skipIf(!swiftShader.icd)('webgpu backend on SwiftShader', () => {
  let model: CausalLM;
  beforeAll(async () => {
    const choice = await selectBackend('webgpu');
    expect(choice.adapter?.fallback).toBe(true);
    model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin));
  }, 300_000);
  afterAll(() => model?.dispose());

  it('records the adapter: vendor, architecture, description, buffer limits', () => {
    const adapter = currentBackend()!.adapter!;
    expect(adapter.description).toMatch(/SwiftShader/);
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(adapter.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 2 ** 20);
  });

  it('per-token NLLs of stories260K equal the reference fixture within 1e-4, with one read back', async () => {
    const ids = Int32Array.from(reference.input_ids);
    const counter = countDeviceReads();
    const nll = await model.tokenNll(ids, 1, ids.length);
    counter.stop();
    expect(counter.count).toBe(1);
    let worst = 0;
    for (let i = 0; i < nll.length; i++) worst = Math.max(worst, Math.abs(nll[i]! - reference.nll_per_target_token[i]!));
    expect(nll.length).toBe(256);
    expect(worst).toBeLessThan(1e-4);
  }, 600_000);
});
